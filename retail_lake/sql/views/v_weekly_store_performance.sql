-- Weekly sales and inventory metrics per store and product (docs/design.md, Weekly metrics), with the
-- store, product and calendar names analysts filter and group on. Outer joins keep
-- every fact row even if a dimension row is missing, so totals never shrink.
WITH weeks AS (
    SELECT
        yr_wk_num,
        MIN(cal_dt) AS week_start_dt
    FROM dim_calendar
    GROUP BY yr_wk_num
)
SELECT
    f.yr_wk_num,
    f.yr_num,
    f.wk_num,
    w.week_start_dt,
    f.week_end_dt,
    c.mnth_num,
    c.yr_mnth_num,
    c.qtr_num,
    c.yr_qtr_num,
    f.store_key,
    s.store_num,
    s.store_desc,
    s.city,
    s.region,
    s.prov_state_desc,
    s.cntry_nm,
    s.store_type_desc,
    s.frnchs_flg,
    s.market_name,
    f.prod_key,
    p.prod_name,
    p.brand_name,
    p.category_name,
    p.subcategory_name,
    f.total_sales_qty,
    f.total_sales_amt,
    f.avg_sales_price,
    f.total_cost_amt,
    f.total_sales_amt - f.total_cost_amt AS gross_margin_amt,
    f.eow_stock_on_hand_qty,
    f.eow_stock_on_order_qty,
    f.in_stock_pct,
    f.weeks_of_supply,
    f.total_low_stock_impact,
    f.potential_low_stock_impact,
    f.no_stock_impact,
    f.low_stock_instances,
    f.no_stock_instances
FROM weekly_sales_inventory AS f
LEFT JOIN dim_store AS s ON s.store_key = f.store_key
LEFT JOIN dim_product AS p ON p.prod_key = f.prod_key
LEFT JOIN weeks AS w ON w.yr_wk_num = f.yr_wk_num
LEFT JOIN dim_calendar AS c ON c.cal_dt = f.week_end_dt
