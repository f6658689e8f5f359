-- Daily franchise-store sales per store and item with the store's
-- location. A franchise file carries the store_num in franchise_store.
SELECT
    d.transaction_date,
    d.franchise_store,
    s.store_key,
    s.store_desc,
    s.city,
    s.region,
    s.prov_state_cd,
    d.item,
    d.total_sale_amount,
    d.total_tax_amount,
    d.total_discount_amount,
    d.total_quantity,
    d.order_count,
    d.total_sale_amount / CAST(NULLIF(d.order_count, 0) AS DOUBLE) AS avg_sale_per_order
FROM daily_store_sales AS d
LEFT JOIN dim_store AS s ON s.store_num = d.franchise_store AND s.frnchs_flg = TRUE
