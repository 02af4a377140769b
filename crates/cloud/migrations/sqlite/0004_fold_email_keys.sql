-- E-mail addresses are now compared after NFKC and case folding (`Email::key`), not only lower
-- case: the cloud recomputes every account's key once at its next start (SQL cannot fold).
INSERT INTO housekeeping (task) VALUES ('fold-email-keys');
