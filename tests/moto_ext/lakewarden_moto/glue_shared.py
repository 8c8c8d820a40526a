"""The Glue Data Catalog as a consumer account sees what producers share with it.

moto ignores `CatalogId` and never resolves resource links. Here, a database a producer shares
(RAM share or cross-account Lake Formation grant, see ram_invitations.py; accepted invitation
when the consumer is outside the producer's organization) is visible to the consumer:
`GetDatabases(ResourceShareType=FOREIGN|ALL)` lists it with the producer's `CatalogId`,
`GetDatabase` / `GetTables` / `GetTable` with `CatalogId=producer` read it, and `GetTables` /
`GetTable` on a resource link database read its target. Anything not shared answers
EntityNotFoundException, as for a database that does not exist.
"""


def visible_databases(consumer, region):
    """{(producer, database)} the consumer may see."""
    from . import ram_invitations

    out = set()
    for (producer, key, _name, _arn), dbs in ram_invitations.sources(consumer, region).items():
        if ram_invitations.accepted(consumer, region, producer, key):
            out.update((producer, d) for d in dbs)
    return out


def _producer_db(producer, region, name):
    from moto.glue.models import glue_backends

    return glue_backends[producer][region].databases.get(name)


def install():
    from moto.core.responses import ActionResult
    from moto.glue.exceptions import EntityNotFoundException
    from moto.glue.responses import GlueResponse

    def resolve(self, catalog_id, database):
        """(account, database) to read for this request, following a resource link."""
        me = self.current_account
        if catalog_id and catalog_id != me:
            if (catalog_id, database) not in visible_databases(me, self.region):
                raise EntityNotFoundException(f"Database {database} not found.")
            return catalog_id, database
        db = self.glue_backend.databases.get(database)
        target = db.input.get("TargetDatabase") if db is not None else None
        if target and target.get("CatalogId") and target["CatalogId"] != me:
            return resolve(self, target["CatalogId"], target.get("DatabaseName"))
        return me, database

    def foreign_dicts(self):
        out = []
        for producer, name in sorted(visible_databases(self.current_account, self.region)):
            db = _producer_db(producer, self.region, name)
            if db is not None:
                d = db.as_dict()
                d["CatalogId"] = producer
                out.append(d)
        return out

    original_get_databases = GlueResponse.get_databases
    original_get_database = GlueResponse.get_database
    original_get_tables = GlueResponse.get_tables
    original_get_table = GlueResponse.get_table

    def get_databases(self):
        kind = self.parameters.get("ResourceShareType")
        catalog_id = self.parameters.get("CatalogId")
        if catalog_id and catalog_id != self.current_account:
            return ActionResult({"DatabaseList": [d for d in foreign_dicts(self) if d["CatalogId"] == catalog_id]})
        if kind == "FOREIGN":
            return ActionResult({"DatabaseList": foreign_dicts(self)})
        if kind == "ALL":
            own = [db.as_dict() for db in self.glue_backend.get_databases()]
            return ActionResult({"DatabaseList": own + foreign_dicts(self)})
        return original_get_databases(self)

    def get_database(self):
        catalog_id = self.parameters.get("CatalogId")
        name = self.parameters.get("Name")
        if catalog_id and catalog_id != self.current_account:
            account, db_name = resolve(self, catalog_id, name)
            db = _producer_db(account, self.region, db_name)
            if db is None:
                raise EntityNotFoundException(f"Database {name} not found.")
            d = db.as_dict()
            d["CatalogId"] = account
            return ActionResult({"Database": d})
        return original_get_database(self)

    def tables_of(self, account, database):
        from moto.glue.models import glue_backends

        return glue_backends[account][self.region].get_tables(database, self.parameters.get("Expression"))

    def get_tables(self):
        account, database = resolve(self, self.parameters.get("CatalogId"), self.parameters.get("DatabaseName"))
        if account == self.current_account and database == self.parameters.get("DatabaseName"):
            return original_get_tables(self)
        tables = []
        for t in tables_of(self, account, database):
            d = t.as_dict()
            d["CatalogId"] = account
            tables.append(d)
        return ActionResult({"TableList": tables})

    def get_table(self):
        from moto.glue.models import glue_backends

        account, database = resolve(self, self.parameters.get("CatalogId"), self.parameters.get("DatabaseName"))
        if account == self.current_account and database == self.parameters.get("DatabaseName"):
            return original_get_table(self)
        t = glue_backends[account][self.region].get_table(database, self.parameters.get("Name"))
        d = t.as_dict()
        d["CatalogId"] = account
        return ActionResult({"Table": d})

    GlueResponse.get_databases = get_databases
    GlueResponse.get_database = get_database
    GlueResponse.get_tables = get_tables
    GlueResponse.get_table = get_table
