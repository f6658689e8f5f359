-- Data quality per load date, dataset and source file: rows delivered, valid,
-- quarantined, the quarantine rate, the rejected rows per reason (the
-- validation rules in their order), the quality gates breached on the file or its
-- dataset (`gate:action`, comma-separated, empty when none) and whether the
-- dataset's load was halted (not merged). Source: validation_counts, the validate
-- step's per-file accounting (rows in = valid + quarantined), registered by the
-- catalog step from the validate reports; rows in cannot be counted from the
-- quarantine or validated tables alone.
SELECT
    load_date,
    dataset,
    source_file,
    rows_in,
    valid,
    quarantined,
    CASE
        WHEN rows_in = 0 THEN NULL
        ELSE CAST(quarantined AS DOUBLE) / rows_in
    END AS quarantine_rate,
    missing_required,
    bad_type,
    negative_value,
    bad_flag,
    unknown_date,
    unknown_store,
    unknown_product,
    duplicate_key,
    gates_breached,
    halted
FROM validation_counts
