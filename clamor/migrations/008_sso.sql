-- Single sign-on (OIDC through Streamlit's st.login): which verified e-mail address signs in
-- as which local user. The identity provider says who someone is; the users table still says
-- what they may do. A user may have several addresses; an address opens one user.
CREATE TABLE user_emails (
    email       VARCHAR PRIMARY KEY,             -- lower-cased
    name        VARCHAR NOT NULL,                -- users.name
    linked_at   TIMESTAMPTZ NOT NULL
);
