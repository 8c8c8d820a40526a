"""moto 5.2.5 with what lakewarden needs and moto lacks or gets wrong.

Each module in EXTENSIONS has an ``install()`` that patches moto in-process (no edits to moto's
files) and may have ``test_routes()`` returning ``{(METHOD, PATH): handler}`` for test-only
endpoints under ``/lakewarden-test/``; a handler takes ``(environ, body_json)`` and returns
``(status, json_value)``. Extension state lives on moto's per-account/per-region backends, so
``POST /moto-api/reset`` clears it. See README.md beside this package.
"""

EXTENSIONS = [
    "faults",
    "lf_fixes",
    "lf_regrant",
    "lf_received",
    "lf_settings",
    "lf_register",
    "ram_ext",
    "ram_invitations",
    "ram_shared_view",  # after ram_invitations: a deleted share stays listed DELETED; ListResources
    "lf_catalog_policy",
    "glue_shared",
    "glue_pages",  # after glue_shared: pages whatever answers GetTables / GetDatabases
    "dynamodb_exports",
    "glue_integrations",
    "datazone",
    "events_test_pattern",
    "cfn_resources",
    "cfn_lakeformation",
    "policy_limits",
    "write_races",
]
