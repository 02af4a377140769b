-- Queued mail is sealed at rest (src/store/mail.rs, src/store/sealed.rs): `sealed` holds the
-- subject and body encrypted under a key derived from the master key, and is erased after
-- delivery. The `subject` and `body` columns stay for this upgrade and are empty from now on.
ALTER TABLE mail_queue ADD COLUMN sealed BLOB;

-- Delivered mail has nothing left to send, and its subject may hold a code: erase it.
UPDATE mail_queue SET subject = '', body = '' WHERE sent_at IS NOT NULL;

-- Tasks the cloud does once at its next start, after the migrations, and then deletes.
CREATE TABLE housekeeping (
    task TEXT PRIMARY KEY
);
-- Seal undelivered mail queued in plain text (it still goes out), then rebuild the database so
-- that no freed byte keeps an earlier code.
INSERT INTO housekeeping (task) VALUES ('seal-mail');
