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
        return migrator
    }
}
