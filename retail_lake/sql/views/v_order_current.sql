-- The current state of each order of the order-event channel: the latest
-- change record per order_id, by event_time then sequence_number; an order whose
-- latest change is a REMOVE is gone and not listed. Fields come from the change's
-- new image (the item's plain JSON). Sequence numbers are decimal strings of up to
-- 56 digits (Kinesis), too long for a DECIMAL, so they are ordered by length, then
-- text, which is numeric order for unpadded non-negative integers. A change line
-- delivered twice (Firehose is at-least-once) ranks the same and counts once.
WITH ranked AS (
    SELECT
        order_id,
        op,
        event_time,
        new_image,
        ROW_NUMBER() OVER (
            PARTITION BY order_id
            ORDER BY event_time DESC, LENGTH(sequence_number) DESC, sequence_number DESC
        ) AS change_rank
    FROM order_changes
)
SELECT
    order_id,
    json_extract_scalar(new_image, '$.item_id') AS item_id,
    CAST(json_extract_scalar(new_image, '$.qty') AS BIGINT) AS qty,
    CAST(json_extract_scalar(new_image, '$.price') AS DECIMAL(18, 2)) AS price,
    CAST(json_extract_scalar(new_image, '$.order_date') AS DATE) AS order_date,
    json_extract_scalar(new_image, '$.contact_name') AS contact_name,
    json_extract_scalar(new_image, '$.contact_email') AS contact_email,
    json_extract_scalar(new_image, '$.contact_phone') AS contact_phone,
    op AS last_change_op,
    event_time AS last_change_time
FROM ranked
WHERE change_rank = 1 AND op <> 'REMOVE'
