//! The database: SQLite (default) or PostgreSQL through sqlx's `Any`
//! driver, one schema for both (`migrations/`), applied at start.
//!
//! Every write that must be atomic is one statement (`INSERT … ON CONFLICT`,
//! `UPDATE … RETURNING`) or one transaction that writes before it reads, so
//! SQLite's single writer never deadlocks on a lock upgrade. Outbox rows are
//! claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several server
//! instances sharing one database never claim the same row.

use std::{borrow::Cow, path::Path, time::Duration};

use sqlx::{
    any::{AnyPoolOptions, AnyRow},
    migrate::{Migration, MigrationType, Migrator},
    AnyPool, AssertSqlSafe, Executor, Row, SqlSafeStr,
};

/// The schema, written once for both backends (`AUTOID` is replaced), and
/// its later versions in order.
const SCHEMA: &[(i64, &str, &str)] = &[
    (1, "schema", include_str!("../migrations/0001_schema.sql")),
    (2, "hub", include_str!("../migrations/0002_hub.sql")),
    (
        3,
        "finetune",
        include_str!("../migrations/0003_finetune.sql"),
    ),
    (
        4,
        "private roots",
        include_str!("../migrations/0004_private_roots.sql"),
    ),
];

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (one server instance).
    Sqlite,
    /// PostgreSQL (one or several instances).
    Postgres,
}

/// The pool and what it is.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    Url(String),
    /// Connecting failed.
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The database directory cannot be created.
    #[error("cannot create {0}: {1}")]
    Dir(String, #[source] std::io::Error),
}

/// The migrator for `backend`.
pub fn migrator(backend: Backend) -> Migrator {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    Migrator::with_migrations(
        SCHEMA
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    AssertSqlSafe(sql.replace("AUTOID", id)).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

impl Db {
    /// Opens (creating a SQLite file and its folder if needed) and migrates.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::Url(url.to_string()));
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite:")
                .trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            if let Some(dir) = Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbError::Dir(dir.display().to_string(), e))?;
            }
            if !url.contains('?') && path != ":memory:" {
                url.push_str("?mode=rwc");
            }
        }
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await.map_err(DbError::Connect)?;
        if backend == Backend::Sqlite {
            // WAL: readers never block the writer; kept in the file.
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(DbError::Connect)?;
        }
        migrator(backend)
            .run(&pool)
            .await
            .map_err(DbError::Migrate)?;
        Ok(Self { pool, backend })
    }

    /// `sql` with PostgreSQL's row locking added for claims, or as it is.
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Runs a dynamically assembled statement (only ever from constant parts).
    pub fn sql(s: String) -> impl SqlSafeStr {
        AssertSqlSafe(s)
    }
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A column as `T`, or a decode error.
pub fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
}
