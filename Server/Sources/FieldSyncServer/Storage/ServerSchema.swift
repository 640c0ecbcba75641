import GRDB

/// The server's tables. Constraints live in the schema so that no code path can break them.
enum ServerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users(
                      name TEXT PRIMARY KEY NOT NULL,
                      role TEXT NOT NULL,
                      team TEXT NOT NULL,
                      created_at TEXT NOT NULL
                    );
                    CREATE TABLE devices(
                      id TEXT PRIMARY KEY NOT NULL,
                      user_name TEXT NOT NULL REFERENCES users(name),
                      name TEXT,
                      enrol_code_hash TEXT UNIQUE,
                      code_expires_at TEXT,
                      token_hash TEXT UNIQUE,
                      created_at TEXT NOT NULL,
                      enrolled_at TEXT,
                      revoked_at TEXT,
                      last_seen_at TEXT,
                      last_sequence INTEGER NOT NULL DEFAULT 0,
                      client TEXT,
                      protocol_version INTEGER,
                      unsent INTEGER,
                      oldest_unsent_seconds INTEGER,
                      rejections INTEGER NOT NULL DEFAULT 0
                    );
                    -- The current state of every record. `document` is the record's wire JSON
                    -- (RecordSnapshot, open conflicts included), so a pull sends stored bytes as they are.
                    CREATE TABLE records(
                      id TEXT PRIMARY KEY NOT NULL,
                      kind TEXT NOT NULL CHECK (kind IN ('visit', 'pep')),
                      young_person TEXT NOT NULL,
                      state TEXT NOT NULL,
                      version INTEGER NOT NULL,
                      deleted INTEGER NOT NULL DEFAULT 0,
                      document BLOB NOT NULL
                    );
                    CREATE UNIQUE INDEX records_by_version ON records(version);
                    CREATE INDEX records_by_young_person ON records(young_person);
                    -- Every change to every record: who, which device, when, what (contract 1.1).
                    CREATE TABLE record_history(
                      record_id TEXT NOT NULL,
                      version INTEGER NOT NULL,
                      change_set TEXT NOT NULL,
                      user_name TEXT NOT NULL,
                      device_id TEXT NOT NULL,
                      made_at TEXT NOT NULL,
                      received_at TEXT NOT NULL,
                      operation TEXT NOT NULL,
                      outcome TEXT NOT NULL,
                      changes BLOB NOT NULL,
                      PRIMARY KEY(record_id, version)
                    );
                    -- Each change set once, with the answer it got, so a repeat gets the same answer (2.2).
                    CREATE TABLE change_sets(
                      id TEXT PRIMARY KEY NOT NULL,
                      device_id TEXT NOT NULL REFERENCES devices(id),
                      device_sequence INTEGER NOT NULL,
                      received_at TEXT NOT NULL,
                      result BLOB NOT NULL,
                      UNIQUE(device_id, device_sequence)
                    );
                    CREATE TABLE conflicts(
                      id TEXT PRIMARY KEY NOT NULL,
                      record_id TEXT NOT NULL,
                      field TEXT NOT NULL,
                      status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
                      opened_version INTEGER NOT NULL,
                      resolved_version INTEGER,
                      document BLOB NOT NULL
                    );
                    CREATE INDEX conflicts_by_record ON conflicts(record_id, status);
                    -- Operations refused for their content, kept with the reason (1.1, 2.4).
                    CREATE TABLE rejections(
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      change_set TEXT NOT NULL,
                      op_index INTEGER NOT NULL,
                      record_id TEXT NOT NULL,
                      user_name TEXT NOT NULL,
                      device_id TEXT NOT NULL,
                      code TEXT NOT NULL,
                      message TEXT NOT NULL,
                      operation BLOB NOT NULL,
                      received_at TEXT NOT NULL
                    );
                    CREATE INDEX rejections_by_record ON rejections(record_id);
                    CREATE TABLE feed_counter(
                      id INTEGER PRIMARY KEY CHECK (id = 1),
                      value INTEGER NOT NULL
                    );
                    INSERT INTO feed_counter(id, value) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v2-access") { db in
            try db.execute(
                sql: """
                    CREATE TABLE teams(name TEXT PRIMARY KEY NOT NULL, created_at TEXT NOT NULL);
                    INSERT OR IGNORE INTO teams(name, created_at) SELECT DISTINCT team, MIN(created_at) FROM users GROUP BY team;
                    -- Which worker holds which young person (domain model 1.2). A key allocation ends
                    -- when the young person moves to another key worker; ended rows stay for the record.
                    CREATE TABLE allocations(
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      young_person TEXT NOT NULL,
                      user_name TEXT NOT NULL REFERENCES users(name),
                      role TEXT NOT NULL CHECK (role IN ('key', 'co')),
                      started_at TEXT NOT NULL,
                      ended_at TEXT
                    );
                    CREATE INDEX allocations_active_by_user ON allocations(user_name) WHERE ended_at IS NULL;
                    CREATE INDEX allocations_active_by_young_person ON allocations(young_person) WHERE ended_at IS NULL;
                    CREATE INDEX records_by_young_person_version ON records(young_person, version);
                    -- The scope each device was last given, by generation: a pull whose cursor names an
                    -- older generation gets what it gained and is told what it lost (contract 5.3).
                    CREATE TABLE scope_snapshots(
                      device_id TEXT NOT NULL,
                      generation INTEGER NOT NULL,
                      scope BLOB NOT NULL,
                      created_at TEXT NOT NULL,
                      PRIMARY KEY(device_id, generation)
                    );
                    ALTER TABLE devices ADD COLUMN token_expires_at TEXT;
                    ALTER TABLE devices ADD COLUMN token_lifetime_seconds INTEGER NOT NULL DEFAULT 2592000;
                    ALTER TABLE devices ADD COLUMN wiped_at TEXT;
                    -- Append-only and hash-chained: each row's hash covers its content and the previous
                    -- row's hash, so a removed or altered row breaks the chain (admin audit --verify).
                    CREATE TABLE audit_log(
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      at TEXT NOT NULL,
                      actor TEXT NOT NULL,
                      role TEXT NOT NULL,
                      device_id TEXT,
                      action TEXT NOT NULL,
                      record_id TEXT,
                      young_person TEXT,
                      detail TEXT NOT NULL,
                      prev_hash TEXT NOT NULL,
                      hash TEXT NOT NULL
                    );
                    CREATE INDEX audit_by_young_person ON audit_log(young_person);
                    CREATE INDEX audit_by_actor ON audit_log(actor);
                    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        migrator.registerMigration("v3-young-people") { db in
            try db.execute(
                sql: """
                    -- The facts the compliance rules need about each young person (domain model 2.1),
                    -- kept by admins from the core case system. Pseudonymous: no names, no addresses.
                    CREATE TABLE young_people(
                      id TEXT PRIMARY KEY NOT NULL,
                      facts BLOB NOT NULL,
                      updated_at TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v4-drop-redundant-index") { db in
            // (young_person, version) serves every lookup by young person.
            try db.execute(sql: "DROP INDEX IF EXISTS records_by_young_person")
        }
        migrator.registerMigration("v5-rejections-outside-scope") { db in
            // A write refused because its record is outside the writer's scope is kept (1.1) but
            // not shown in that record's history to the people who may see the record.
            try db.execute(sql: "ALTER TABLE rejections ADD COLUMN outside_scope INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v6-store-info") { db in
            // Facts about the store itself, e.g. which release last migrated it (``StoreCheck``),
            // so that an older release can name the one it must not stand in for.
            try db.execute(sql: "CREATE TABLE store_info(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        }
        migrator.registerMigration("v7-audit-by-device") { db in
            // A device's pulls, newest first, for the lost-device manifest (``DeviceManifest``),
            // without walking the whole trail back for a device idle for years.
            try db.execute(sql: "CREATE INDEX audit_by_device ON audit_log(device_id, action, id)")
        }
        migrator.registerMigration("v8-device-policy") { db in
            // A device's own offline lease, erase limit and retention, set at enrolment (NULL:
            // the server's, from `serve`); see ``DevicePolicy``.
            try db.execute(
                sql: """
                    ALTER TABLE devices ADD COLUMN offline_lease_seconds INTEGER;
                    ALTER TABLE devices ADD COLUMN offline_erase_seconds INTEGER;
                    ALTER TABLE devices ADD COLUMN retention_seconds INTEGER;
                    """)
        }
        migrator.registerMigration("v9-offline-views") { db in
            // The highest view sequence stored per device, so each uploaded view lands in the
            // audit trail once (``OfflineViews``).
            try db.execute(
                sql: """
                    CREATE TABLE device_view_uploads(
                      device_id TEXT PRIMARY KEY NOT NULL REFERENCES devices(id),
                      stored_through INTEGER NOT NULL,
                      updated_at TEXT NOT NULL
                    )
                    """)
        }
        return migrator
    }
}
