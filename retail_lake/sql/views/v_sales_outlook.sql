-- Sales outlook per product: over the current orders (v_order_current, so
-- modified orders count with their latest quantity and deleted orders not at all),
-- the number of orders, the total quantity and the total amount. Orders without a
-- price count in orders and quantity but add nothing to the amount.
SELECT
    item_id,
    COUNT(*) AS order_count,
    SUM(qty) AS total_qty,
    SUM(qty * price) AS total_amount
FROM v_order_current
GROUP BY item_id
