-- Rejected rows per dataset, load date and reason, over every
-- quarantine table. A test checks that each quarantine table has its branch.
SELECT
    'sales' AS dataset,
    load_date,
    reject_reason,
    COUNT(*) AS rejected_rows,
    COUNT(DISTINCT source_file) AS source_files
FROM quarantine_sales
GROUP BY load_date, reject_reason
UNION ALL
SELECT
    'inventory' AS dataset,
    load_date,
    reject_reason,
    COUNT(*) AS rejected_rows,
    COUNT(DISTINCT source_file) AS source_files
FROM quarantine_inventory
GROUP BY load_date, reject_reason
UNION ALL
SELECT
    'calendar' AS dataset,
    load_date,
    reject_reason,
    COUNT(*) AS rejected_rows,
    COUNT(DISTINCT source_file) AS source_files
FROM quarantine_calendar
GROUP BY load_date, reject_reason
UNION ALL
SELECT
    'store' AS dataset,
    load_date,
    reject_reason,
    COUNT(*) AS rejected_rows,
    COUNT(DISTINCT source_file) AS source_files
FROM quarantine_store
GROUP BY load_date, reject_reason
UNION ALL
SELECT
    'product' AS dataset,
    load_date,
    reject_reason,
    COUNT(*) AS rejected_rows,
    COUNT(DISTINCT source_file) AS source_files
FROM quarantine_product
GROUP BY load_date, reject_reason
UNION ALL
SELECT
    'store_sales' AS dataset,
    load_date,
    reject_reason,
    COUNT(*) AS rejected_rows,
    COUNT(DISTINCT source_file) AS source_files
FROM quarantine_store_sales
GROUP BY load_date, reject_reason
