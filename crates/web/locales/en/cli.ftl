## The `rekey` command (crates/cli): what it prints for people. Its --json output is never
## localized; clap's --help text stays English.

## General
cli-error-line = error: { $message }
cli-warning-plain-http = warning: { $cloud } is not https: passwords and the session travel unencrypted
cli-yes-no = [y/N]
cli-missing-value = { $what } is needed: pass { $flag } (stdin is not a terminal, so rekey cannot ask)
cli-value-not-given = { $what } was not given
cli-cannot-read-value = cannot read { $what }
cli-no-stdin-value = stdin has no line with { $what }: give it as one line
cli-cannot-read-stdin = cannot read from stdin
cli-then-run = Then run: { $command }
cli-bad-cloud = bad cloud address { $input }: { $reason }
cli-bad-session-cloud = the stored session in { $path } names a bad cloud address
cli-session-other-cloud = you are logged in to { $cloud }, not { $other }; run `rekey login --cloud { $other }` to use that cloud, or leave out --cloud (and REKEY_CLOUD)
cli-duration-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
cli-duration-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
cli-duration-hours = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
}

## Talking to the cloud (the --json "error" key is the same)
cli-unreachable = cannot reach the cloud at { $cloud }: { $reason }
cli-timeout = the cloud at { $cloud } did not answer in time
cli-not-logged-in = not logged in; run `rekey login` (or `rekey signup`)
cli-unauthorized = { $message } (run `rekey login`)
cli-rejected-retry = { $message } (try again in { $duration })
cli-http = the cloud at { $cloud } answered HTTP { $status }
cli-redirected = the cloud at { $cloud } redirected to { $location }; if the cloud has moved, use --cloud with its new address
cli-protocol = the cloud at { $cloud } gave an answer this version of rekey does not understand ({ $detail })
cli-another-address = another address
cli-session-ended = your session has expired or was ended
cli-setup = cannot set up the HTTP client: { $reason }

## Local files and photos
cli-no-config-dir = cannot find a config directory for the session; pass --config-dir
cli-io-read = cannot read { $path }: { $reason }
cli-io-delete = cannot delete { $path }: { $reason }
cli-io-create = cannot create { $path }: { $reason }
cli-io-create-file-in = cannot create a file in { $path }: { $reason }
cli-io-protect = cannot protect { $path }: { $reason }
cli-io-replace = cannot replace { $path }: { $reason }
cli-io-write = cannot write { $path }: { $reason }
cli-session-damaged = { $path } is damaged ({ $detail }); delete it and run `rekey login`
cli-qr-cannot-read = cannot read { $path }: { $reason }
cli-qr-not-an-image = { $path } is not a PNG or JPEG image this program can read ({ $reason })
cli-qr-none = no QR code found in { $path }; take the photo straight on, in focus, with the whole code filling most of the picture
cli-qr-not-rekey = the QR code in { $path } is not a Rekey code: { $reason }
cli-email-length = an e-mail address has 3 to { $max } characters
cli-email-shape = an e-mail address looks like name@example.com

## What a value is, in the messages above
cli-what-current-password = the current password
cli-what-password = the password
cli-what-new-password = a new password
cli-what-login = your username or e-mail address
cli-what-email = an e-mail address
cli-what-code = the verification code
cli-what-region = the region
cli-what-confirmation = a confirmation
cli-what-agreement = agreeing to the Service Agreement
cli-what-device-name = a name for the device

## Prompts
cli-label-current-password = Current password
cli-label-login = Username or e-mail
cli-label-password = Password
cli-label-code = Verification code
cli-label-email = E-mail address
cli-label-region = Region (number or code)
cli-label-new-password = New password
cli-label-repeat-password = Confirm (type it again)
cli-label-device-name = Device Name

## Shown while waiting on the cloud
cli-wait-login = Logging in…
cli-wait-logout = Logging out…
cli-wait-send-code = Sending the verification code…
cli-wait-check-code = Checking the verification code…
cli-wait-agreement = Fetching the Service Agreement…
cli-wait-signup = Creating the account…
cli-wait-regions = Fetching the regions…
cli-wait-account = Fetching the account…
cli-wait-set-username = Changing the username…
cli-wait-set-email = Changing the e-mail address…
cli-wait-set-password = Changing the password…
cli-wait-export = Fetching your account's data…
cli-wait-delete-account = Deleting the account…
cli-wait-devices = Fetching your devices…
cli-wait-add-device = Adding the device…
cli-wait-rename-device = Renaming the device…
cli-wait-remove-device = Removing the device…
cli-wait-check-qr = Checking the QR code…
cli-wait-send-temporary = Sending the temporary password…
cli-wait-retrieve = Retrieving the temporary password…
cli-wait-transfers = Fetching your hand-overs…
cli-wait-transfer = Fetching the hand-over…
cli-wait-offer = Offering the hand-over…
cli-wait-cancel-transfer = Cancelling the hand-over…
cli-wait-decline = Declining the hand-over…
cli-wait-accept = Accepting the hand-over…

## Log in, log out
cli-logged-in = Logged in to { $cloud } as { $username }.
cli-already-logged-out = Not logged in.
cli-logout-not-told = warning: could not tell the cloud ({ $reason }); the session was forgotten on this computer
cli-logged-out = Logged out.

## Sign up
cli-signup-code-sent = A verification code was e-mailed to { $email }; it works for { $duration }. If it does not arrive, look in the spam folder.
cli-region-needed = the region is needed: pass --region (it is remembered when the code is requested with `rekey signup --region … --email … --send-code-only`)
cli-agreement-shown = Service Agreement (version { $version }): { $url }
cli-agreement-question = I have read and agree to the Service Agreement.
cli-agreement-refused = an account needs the Service Agreement to be accepted; nothing was made
cli-signed-up = Account created; you are logged in as { $username }.
cli-username-hint = The username is your login ID; change it with `rekey account set-username NAME`.
cli-no-regions = the cloud offers no region to sign up in
cli-unknown-region = unknown region { $region }; choose one of: { $regions }
cli-region-only = Region: { $name } ({ $code })
cli-regions = Regions:
cli-choose-region = Choose one of: { $regions }
cli-password-rule = Choose a password of at least { $min } characters; a long phrase is good.
cli-password-try-again = { $reason } Try again.
cli-password-choose-another = { $reason } Choose another password.
cli-cannot-read-password-again = cannot read the password again

## Account
cli-field-username = Username
cli-field-email = E-mail
cli-field-region = Region
cli-field-language = Language
cli-field-time-zone = Time zone
cli-field-created = Created
cli-username-empty = the username is empty
cli-username-changed = Your username (login ID) is now { $username }.
cli-email-changed = Your e-mail address is now { $email }.
cli-code-sent-to = A verification code was e-mailed to { $email }; it works for { $duration }.
cli-code-sent-account = A verification code was e-mailed to your account's address; it works for { $duration }.
cli-password-same = the new password is the same as the current one
cli-password-changed = Your password was changed.
cli-cannot-write = cannot write { $path }: { $reason }
cli-exported = Your account's data was saved to { $path }.
cli-delete-question = Delete your account? Every recorder in it is released, and this cannot be undone.
cli-cancelled-nothing-deleted = cancelled; nothing was deleted
cli-deleted-none = No recorder was in it.
cli-deleted-released = Released: { $serials }.
cli-account-deleted = Your account was deleted. { $released } Its data is deleted in { $days } days.

## Devices
cli-no-devices = No devices yet. Add one with `rekey devices add --code CODE` or `rekey devices add --qr PHOTO`.
cli-col-name = NAME
cli-col-serial = SERIAL
cli-col-status = STATUS
cli-col-last-seen = LAST SEEN
cli-col-added = ADDED
cli-device-online = online
cli-device-offline = offline
cli-never = never
cli-give-code-or-qr = give --code, --qr or --qr-url
cli-device-name-empty = the device name is empty
cli-device-added = Added { $name } ({ $serial }). It may take a while until it connects to the cloud.
cli-device-renamed = Renamed { $before } ({ $serial }) to { $name }.
cli-remove-question = Remove { $device } from your account? Its admin password can then no longer be recovered through the cloud.
cli-cancelled-nothing-removed = cancelled; nothing was removed
cli-device-removed = Removed { $device }.
cli-device-not-found = no device { $query } in your account; see `rekey devices list`
cli-device-ambiguous = { $query } is the name of several devices ({ $serials }); name one by its serial number
cli-register-code-mistyped = the register code is mistyped: a character is wrong or two are swapped; compare it with the recorder's "Network › Cloud" page
cli-register-code-length = a Register Code has { $expected } characters (XXXX-XXXX-XXXX); this one has { $found }
cli-register-code-character = character { $character } at position { $position } cannot be part of a Register Code (it has only letters and digits)
cli-qr-is-recovery = this is the QR code of the recorder's "Password recovery" screen; to get a temporary password use `rekey recover --qr PHOTO`
cli-qr-unusable = this QR code cannot be used: { $reason }
cli-qr-other-cloud = note: this QR code names the cloud at { $qr_cloud }, but rekey is using { $cloud } (see --cloud)

## Temporary passwords
cli-give-qr = give --qr or --qr-url
cli-qr-is-registration = this is the QR code of the recorder's "Network › Cloud" page, for registering it; a temporary password needs the QR code of its "Password recovery" screen (use `rekey devices add --qr PHOTO` to register it)
cli-qr-expired-here = note: by this computer's clock this QR code expired; if the cloud refuses it, make a new one on the recorder
cli-field-recorder = Recorder
cli-field-send-to = Send the Temporary Password to
cli-field-qr-valid-until = QR code valid until
cli-recover-question = E-mail a temporary password for this recorder to { $email }?
cli-cancelled-nothing-sent = cancelled; nothing was sent
cli-recover-sent = The temporary password was e-mailed to { $email }; it works until { $until }.
cli-recover-next-step = Enter it as the security code on the recorder's "Password recovery" screen, then set a new admin password at once.
cli-bad-date = { $flag } { $text } is not a date; write it as YYYY-MM-DD, e.g. 2026-11-02
cli-window-reversed = --to is before --from; the last valid date cannot come before the first
cli-window-too-long = a temporary password is valid for at most { $max } days; this window has { $days }
cli-retrieve-code-sent = A verification code was e-mailed to { $email } (your account's address); it works for { $duration }.
cli-retrieved = Temporary password for { $name } ({ $serial }):
cli-retrieved-valid = Valid on the recorder's dates { $from } to { $to }, once.
cli-retrieved-next-step = Enter it as the security code on the recorder's "Password recovery" screen, and change the recorder's admin password right after logging in.

## Hand-overs
cli-no-transfers = No open hand-overs.
cli-col-id = ID
cli-col-with = WITH
cli-col-devices = DEVICES
cli-col-until = UNTIL
cli-transfer-from = from { $account }
cli-transfer-to = to { $account }
cli-recipient-empty = the recipient's e-mail address is empty
cli-transfer-offered = Offered { $devices } to { $to } until { $until } (id { $id }). Nothing changes until it is accepted; cancel with `rekey transfer cancel { $id }`.
cli-transfer-cancelled = The hand-over was cancelled; the devices stay in your account.
cli-transfer-no-device = { $query } is not one of this hand-over's devices (or names several); name it by its serial number
cli-transfer-declined = You declined the hand-over; the devices stay with the sender.
cli-transfer-accepted = { $count ->
    [one] { $count } device is now in your account: { $serials }.
   *[other] { $count } devices are now in your account: { $serials }.
}
cli-transfer-left = Left with the sender: { $serials }.
cli-transfer-gone = No longer the sender's, so not moved: { $serials }.
