-- The ten best-selling products of each week by sales amount over all stores.
-- RANK gives tied products the same rank, so a week can list more than ten rows;
-- products that only have inventory rows (no sales) are not ranked.
WITH product_week AS (
    SELECT
        yr_wk_num,
        prod_key,
        SUM(total_sales_amt) AS total_sales_amt,
        SUM(total_sales_qty) AS total_sales_qty,
        COUNT(*) AS store_count
    FROM weekly_sales_inventory
    GROUP BY yr_wk_num, prod_key
    HAVING SUM(total_sales_amt) > 0
),
ranked AS (
    SELECT
        yr_wk_num,
        prod_key,
        total_sales_amt,
        total_sales_qty,
        store_count,
        RANK() OVER (PARTITION BY yr_wk_num ORDER BY total_sales_amt DESC) AS sales_rank
    FROM product_week
)
SELECT
    r.yr_wk_num,
    r.sales_rank,
    r.prod_key,
    p.prod_name,
    p.brand_name,
    p.category_name,
    r.total_sales_amt,
    r.total_sales_qty,
    r.store_count
FROM ranked AS r
LEFT JOIN dim_product AS p ON p.prod_key = r.prod_key
WHERE r.sales_rank <= 10
