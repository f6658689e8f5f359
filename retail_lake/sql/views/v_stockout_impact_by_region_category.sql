-- Sales lost to stock-outs and low stock per week, store region and product
-- category: the sums of the weekly impact metrics over stores and products.
SELECT
    f.yr_wk_num,
    MAX(f.week_end_dt) AS week_end_dt,
    s.region,
    p.category_name,
    SUM(f.no_stock_impact) AS no_stock_impact,
    SUM(f.potential_low_stock_impact) AS potential_low_stock_impact,
    SUM(f.no_stock_instances) AS no_stock_instances,
    SUM(f.low_stock_instances) AS low_stock_instances,
    SUM(f.total_low_stock_impact) AS total_low_stock_impact,
    SUM(f.total_sales_amt) AS total_sales_amt,
    COUNT(*) AS store_product_weeks
FROM weekly_sales_inventory AS f
LEFT JOIN dim_store AS s ON s.store_key = f.store_key
LEFT JOIN dim_product AS p ON p.prod_key = f.prod_key
GROUP BY f.yr_wk_num, s.region, p.category_name
