-- Dashboard users: a name, a role and an argon2 password hash (never the password).
CREATE TABLE users (
    name           VARCHAR PRIMARY KEY,
    role           VARCHAR NOT NULL,            -- agent | manager | analyst | admin
    password_hash  VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    last_login_at  TIMESTAMPTZ
);
