-- Account deletion (docs/api.md, "Deleting the account"; docs/deploying.md, "Housekeeping"):
-- a deleted account keeps its row, unable to log in, until its retention ends, when the sweep
-- deletes it with everything that refers to it. Its e-mail key is replaced at deletion by one
-- no address folds to, so the address can sign up again at once.
ALTER TABLE accounts ADD COLUMN deleted_at BIGINT;
CREATE INDEX accounts_deleted ON accounts (deleted_at);
