-- Each account has a time zone (an IANA name such as Asia/Tokyo): portal pages and e-mails show
-- times in it, and Retrieve's dates start from today there. A new account gets its region's
-- default; the cloud gives existing accounts theirs once at its next start (the region → zone
-- table is configuration, which SQL cannot read), then removes this task.
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
INSERT INTO housekeeping (task) VALUES ('account-time-zones');
