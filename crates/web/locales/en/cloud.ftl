# Cloud portal messages.
cloud-brand = Rekey Cloud
cloud-back-home = Back to the start page
cloud-nav-devices = My Cloud Devices
cloud-nav-account = User information
cloud-nav-logout = Log out
cloud-cancel = Cancel
cloud-next-button = Next
cloud-save-button = Save
cloud-saved = Saved.
cloud-acquire-button = Acquire
cloud-get-code-button = Get verification code
cloud-login-title = Log in
cloud-login-button = Log in
cloud-login-failed = The user name / e-mail address or the password is wrong.
cloud-login-locked = Too many failed logins. Try again in { $minutes } minutes.
cloud-forgot-link = Forgot your cloud password?
cloud-no-account = No account yet?
cloud-signup-pc-link = Sign up
cloud-signup-phone-link = Sign up on a phone
cloud-signup-title = Sign up
cloud-signup-button = Sign up
cloud-signup-done = Your account was created. Your user name is { $username }; you can change it under User information.
cloud-field-login = User name or e-mail address
cloud-field-username = User name
cloud-field-password = Password
cloud-field-confirm = Confirm
cloud-field-new-password = New password
cloud-field-current-password = Current password
cloud-field-region = Region
cloud-field-time-zone = Time zone
cloud-field-email = E-mail
cloud-field-new-email = New e-mail address
cloud-field-code = Verification code
cloud-field-created = Created
cloud-field-device-name = Device Name
cloud-field-serial = Serial number
cloud-field-status = Status
cloud-field-added = Date added
cloud-field-register-code = Register Code
cloud-username-hint = 3 to 32 letters, digits, ".", "_" or "-". You log in with it or with your e-mail address.
cloud-password-hint = At least { $min } characters; a long passphrase is welcome. Common passwords are refused.
cloud-m-region-prompt = Choose the region you live in.
cloud-agree-label = I have read and agree to the
cloud-agreement-link = Service Agreement
cloud-agreement-title = Service Agreement
cloud-agreement-version = Version { $version }
cloud-agreement-text = Rekey Cloud keeps your account, the recorders you register and the keys that let you recover a recorder's admin password. It uses your e-mail address only to send you verification codes, temporary passwords and notices about your account and devices. You can remove a recorder or change your details at any time. Do not register a recorder you do not own.
cloud-agreement-required = Please read the Service Agreement and agree to it.
cloud-code-sent = A verification code is on its way to { $email }. It is valid for { $minutes } minutes; if it does not arrive within a few minutes, check the address and your spam folder.
cloud-code-resend-link = Did not get the code? Start again to send a new one.
cloud-code-format = The verification code has 6 digits.
cloud-code-cooldown = A code was sent a moment ago. You can ask for another in { $seconds } seconds.
cloud-code-none = No code was requested for this address, or a newer one replaced it. Please request a new code.
cloud-code-expired = The code expired. Please request a new one.
cloud-code-too-many = Too many wrong codes. Please request a new one.
cloud-code-used = This code was already used. Please request a new one.
cloud-code-wrong = The code is wrong. { $tries ->
    [one] One more try is left.
   *[other] { $tries } more tries are left.
}
cloud-email-invalid = Enter a valid e-mail address, like name@example.com.
cloud-email-taken = An account with this e-mail address already exists. Log in, or use "Forgot your cloud password?".
cloud-email-same = This is already your e-mail address.
cloud-username-taken = This user name is taken. Choose another.
cloud-username-length = A user name has 3 to 32 characters.
cloud-username-character = A user name has letters, digits, ".", "_" and "-", and starts with a letter or digit.
cloud-username-email = A user name must not contain "@".
cloud-region-invalid = Choose a region from the list.
cloud-forgot-title = Forgot your cloud password?
cloud-forgot-intro = Enter your account's e-mail address. If it belongs to an account, we send a verification code to it.
cloud-reset-button = Set the new password
cloud-reset-done = Your password was changed. Log in with the new password.
cloud-account-title = User information
cloud-change-username = Change the user name
cloud-change-email = Change the e-mail address
cloud-change-time-zone = Change the time zone
cloud-time-zone-hint = Times on these pages and in the e-mails to you are shown in this time zone; Retrieve's dates start from today there.
cloud-time-zone-unknown = Choose a time zone from the list.
cloud-change-password = Change the password
cloud-password-current-wrong = The current password is wrong.
cloud-password-current-locked = Too many wrong current passwords. Try again in { $minutes } minutes.
cloud-password-changed = Your password was changed. Your other sessions were logged out.
cloud-devices-title = My Cloud Devices
cloud-devices-none = No device yet. Add your recorder with its register code.
cloud-status-online = Online
cloud-status-offline = Offline
cloud-last-seen = last seen { $time }
cloud-add-device = + Add Device
cloud-add-device-hint = The register code is on the recorder: Menu → Network → Cloud. Or scan the QR code shown there with your phone.
cloud-add-button = Add
cloud-add-from-qr = Check the register code from the QR code, give the device a name and tap Add.
cloud-rename-button = Rename
cloud-remove-button = Remove
cloud-remove-title = Remove the device
cloud-remove-question = Remove { $name } ({ $serial }) from your account? You can no longer get temporary passwords for it, and the recorder gets a new register code.
cloud-device-added = { $name } was added.
cloud-device-removed = The device was removed.
cloud-device-name-invalid = A device name has 1 to 64 characters.
cloud-device-not-found = This device is not in your account.
cloud-device-already-yours = This recorder is already in your devices.
cloud-device-taken = This recorder is already registered to another account. It must be removed there first.
cloud-register-code-mistyped = The register code has a typing mistake (a wrong or swapped character). Please check it on the recorder's screen.
cloud-register-code-malformed = A register code has 12 letters and digits, like ABCD-EFGH-JKMN.
cloud-register-code-unknown = No recorder has this register code. Check it on the recorder (Menu → Network → Cloud); the code changes when the recorder reconnects.
cloud-qr-version = This QR code comes from a newer recorder than this cloud understands. Enter the register code by hand.
cloud-api-login-required = Please log in first.
cloud-outbox-title = Outbox
cloud-outbox-intro = No mail server is configured, so e-mail is written here (and as .eml files in the data directory's outbox folder) instead of being sent.
cloud-outbox-written = written to the outbox
cloud-outbox-queued = on its way
region-jp = Japan
region-us = United States
region-eu = Europe
region-ap = Asia-Pacific
mail-footer-code = — Rekey Cloud. If you did not ask for this, you can ignore this e-mail; nothing changes without the code.
mail-footer-notice = — Rekey Cloud. This notice is sent for every such change to your account.
mail-signup-subject = Your Rekey Cloud verification code: { $code }
mail-signup-body = Your verification code for signing up is:

    { $code }

    It is valid for { $minutes } minutes and can be used once.
mail-change-email-subject = Confirm your new e-mail address: { $code }
mail-change-email-body = To make this the e-mail address of your Rekey Cloud account, enter this code:

    { $code }

    It is valid for { $minutes } minutes and can be used once.
mail-reset-password-subject = Reset your Rekey Cloud password: { $code }
mail-reset-password-body = To set a new password for your Rekey Cloud account, enter this code:

    { $code }

    It is valid for { $minutes } minutes and can be used once.
mail-password-changed-subject = Your Rekey Cloud password was changed
mail-password-changed-body = The password of your Rekey Cloud account was just changed. If this was not you, use "Forgot your cloud password?" at once.
cloud-nav-activity = Activity
cloud-send-button = Send
cloud-recover-title = Password recovery
cloud-recover-send-to = The temporary password goes to
cloud-recover-qr-until = This QR code is valid until
cloud-recover-explain = Tap Send to e-mail a temporary password for this recorder. Type it on the recorder's "Password recovery" screen as the security code, with your new password.
cloud-recover-next-step = Type the temporary password on the recorder's "Password recovery" screen (the one showing this QR code) as the security code.
cloud-recover-sent = A temporary password was sent to { $email }. It can be used until { $until }.
cloud-recover-not-yours = This QR code is not for a device of your account. Log in with the account the recorder is registered to.
cloud-recover-no-key = This recorder has not received its recovery key yet. Connect it to the cloud once (Menu → Network → Cloud), then try again.
cloud-recover-not-a-qr = This is not a password recovery QR code of a recorder.
cloud-recover-qr-expired = This QR code has expired. Open "Forgot password?" on the recorder again to show a new one.
cloud-recover-qr-forged = This QR code was altered or does not come from this recorder. Scan the code shown on the recorder's screen.
cloud-recover-qr-used = A temporary password was already sent for this QR code. Check your e-mail, or show a new QR code on the recorder.
cloud-recover-device-limit = Too many temporary passwords were issued for this recorder today. The next one is possible at { $next }.
cloud-recover-account-limit = Too many temporary passwords were issued for your account today. The next one is possible at { $next }.
cloud-recover-sequence = Many temporary passwords were issued without the recorder reporting back. Connect the recorder to the cloud first.
cloud-path-phone = phone (recovery QR code)
cloud-path-pc = PC portal (Retrieve)
cloud-path-app = rekey app
cloud-retrieve-title = Retrieve a temporary password
cloud-retrieve-button = Retrieve
cloud-field-temporary-password = Temporary Password
cloud-field-valid-date = Valid Date
cloud-field-from = From
cloud-field-to = To
cloud-retrieve-range-hint = The temporary password works on the recorder from the first to the last date, by the recorder's own date, for at most { $days } days. It works even when the recorder is offline.
cloud-retrieve-dates-hint = These are the recorder's own dates, in the time zone set on the recorder. "From" starts as today in your time zone ({ $zone }).
cloud-retrieve-valid = Valid from { $from } to { $to } (the recorder's dates).
cloud-retrieve-reminder = Enter it on the recorder's "Password recovery" screen as the security code, and set a new password right away. It works once.
cloud-retrieve-date-invalid = Enter the dates as YYYY-MM-DD.
cloud-retrieve-from-range = The first valid date must be between yesterday and { $days } days from today.
cloud-retrieve-reversed = The last valid date is before the first.
cloud-retrieve-too-long = A temporary password is valid for at most { $days } days.
cloud-retrieve-code-mismatch = This code was sent for another device or other dates. Please request a new one.
cloud-activity-title = Activity
cloud-activity-intro = Every temporary password issued for your devices. If you see one you did not ask for, change your cloud password.
cloud-activity-none = No temporary password was issued yet.
cloud-activity-until = until { $until }, sent to { $email }
cloud-activity-devices-title = Recorders released from this account
cloud-activity-event-released = Released by the recorder's administrator
cloud-field-when = When
cloud-field-what = What
cloud-field-path = How
cloud-field-validity = Valid
cloud-kind-challenge = Temporary password (QR code)
cloud-kind-date-window = Temporary password (dates)
mail-retrieve-subject = Your verification code for retrieving a temporary password: { $code }
mail-retrieve-body = To retrieve a temporary password for your recorder, enter this code:

    { $code }

    It is valid for { $minutes } minutes and can be used once.
mail-challenge-subject = Temporary password for { $device }
mail-challenge-body = The temporary password for { $device } is:

    { $password }

    Type it on the recorder's "Password recovery" screen as the security code, together with your new password. It works once, until { $until }, and only while that screen shows the QR code you scanned.
mail-issued-subject = A temporary password was issued for { $device }
mail-issued-body = A temporary password for { $device } ({ $serial }) was issued at { $when } through the { $path }; it was sent to or shown for { $sent_to }.

    If this was not you, change your cloud password at once and check the recorder.
mail-email-changed-subject = The e-mail address of your Rekey Cloud account was changed
mail-email-changed-body = The e-mail address of your Rekey Cloud account was just changed to { $address }. Codes and notices go there from now on, and your other sessions were logged out. If this was not you, contact the operator of this cloud at once.
mail-released-subject = { $device } was released from your Rekey Cloud account
mail-released-body = The administrator of the recorder { $device } (serial number { $serial }) released it from your Rekey Cloud account at { $when }, on the recorder's Network › Cloud page, with its admin password. It is no longer in your devices, and temporary passwords issued for it before no longer work on it. To add it again you need the new register code shown on that recorder's screen.

    If this was not done by you or by someone you trust, someone knows the recorder's admin password: check the recorder and its audit log.
cloud-retrieve-key-pending = The recorder has not received the key of its new registration yet (it gets it when it next connects to the cloud). This temporary password works only until then; if the recorder says it is wrong, retrieve a new one.
cloud-retrieved-expired = This temporary password has expired: its last valid date has passed on the recorder, so it is no longer shown. If you still cannot log in to the recorder, retrieve a new one.
cloud-retrieved-again = Retrieve a new temporary password

## Transfers between accounts and installer hand-overs (docs/protocol.md §9, "Transfer")
cloud-nav-transfers = Hand-overs
cloud-transfers-title = Hand-overs
cloud-transfers-intro = Hand devices over to another Rekey Cloud account: select them, give the Email of the account that receives them and your Password. Nothing changes until the receiver accepts; until then you can cancel.
cloud-transfers-incoming = Devices offered to you
cloud-transfers-outgoing = Devices you offered
cloud-transfers-none = No open hand-overs.
cloud-transfer-from = From { $username }, until { $until }
cloud-transfer-to = To { $email }, until { $until }
cloud-transfer-new-title = Hand over devices
cloud-transfer-field-to = Email of the receiving account
cloud-transfer-select-hint = Select the devices to hand over.
cloud-transfer-button = Hand over
cloud-transfer-accept-hint = Select the devices you accept; the others stay with the sender. Each accepted device gets a new recovery key, so temporary passwords of the former owner stop working.
cloud-transfer-accept-button = Accept selected devices
cloud-transfer-decline-button = Decline all
cloud-transfer-cancel-button = Cancel the hand-over
cloud-transfer-offered = The hand-over was offered to { $email }. Nothing changes until it is accepted.
cloud-transfer-accepted = { $count } device(s) are now in your account.
cloud-transfer-declined-notice = You declined the hand-over; the devices stay with the sender.
cloud-transfer-cancelled-notice = The hand-over was cancelled; the devices stay in your account.
cloud-transfer-to-self = This is your own Email. Give the Email of the account that receives the devices.
cloud-transfer-no-devices = Select at least one device to hand over.
cloud-transfer-device-not-yours = { $serial } is not one of your devices.
cloud-transfer-device-pending = { $serial } is already offered in an open hand-over; cancel that one first.
cloud-transfer-not-found = There is no such hand-over.
cloud-transfer-not-for-you = This hand-over is for another account. Log in with the account of the Email it was sent to.
cloud-transfer-not-sender = Only the account that offered this hand-over can cancel it.
cloud-transfer-closed = This hand-over has already been answered.
cloud-transfer-cancelled = This hand-over was cancelled by its sender.
cloud-transfer-expired = This hand-over has expired. Ask the sender to offer the devices again.
cloud-transfer-none-selected = Select at least one device to accept, or decline all.
cloud-transfer-device-not-listed = { $serial } is not part of this hand-over.
cloud-activity-event-transferred-out = Handed over to another account
cloud-activity-event-transferred-in = Received from another account
mail-footer-offer = — Rekey Cloud. If you do not expect this, ignore this e-mail: nothing changes unless you accept.
mail-transfer-offer-subject = { $from } offers you devices on Rekey Cloud
mail-transfer-offer-body = The Rekey Cloud account { $from } offers to hand these devices over to the account of this Email: { $devices }.

    To accept all or some of them, log in (or sign up with this Email) and open { $link } before { $until }.
mail-transferred-subject = Your devices were handed over on Rekey Cloud
mail-transferred-body = At { $when }, the account of { $to } accepted these devices from your Rekey Cloud account: { $devices }. They are no longer in your devices, and temporary passwords issued to you for them no longer work on them.
mail-received-subject = Devices were added to your Rekey Cloud account
mail-received-body = At { $when }, you accepted these devices from { $from }: { $devices }. They are now in your devices, with new recovery keys.
mail-transfer-declined-subject = Your hand-over on Rekey Cloud was declined
mail-transfer-declined-body = The account of { $to } declined the devices you offered: { $devices }. They stay in your Rekey Cloud account.
mail-transfer-cancelled-subject = { $from } cancelled a hand-over on Rekey Cloud
mail-transfer-cancelled-body = The Rekey Cloud account { $from } cancelled its offer to hand these devices over to the account of this Email: { $devices }. Nothing changed.

# Account data: export and deletion (user information)
cloud-export-title = Your data
cloud-export-intro = Download everything this cloud keeps about your account as a JSON file: your account's details, your devices, the temporary passwords issued for them and what happened to them. Passwords, keys and codes are not in it.
cloud-export-button = Download my data (JSON)
cloud-delete-account = Delete account
cloud-delete-account-intro = Deleting your account releases every recorder in your devices (each shows a new Register Code, and temporary passwords issued before no longer work on it), logs you out everywhere and frees your e-mail address. Your data is deleted { $days } days later. Download your data first if you want to keep it. Enter your password to get a verification code by e-mail.
cloud-delete-account-code-sent = A verification code was sent to your account's e-mail address. Enter it to delete your account; this cannot be undone.
cloud-delete-account-button = Delete my account
cloud-account-deleted = Your account was deleted and its recorders were released. A confirmation was sent to its e-mail address.
cloud-account-delete-changed = One of your devices changed while the account was being deleted. Nothing was deleted; get a new verification code and try again.
cloud-activity-event-account-deleted = Released when the account was deleted
mail-delete-account-subject = Your verification code for deleting your Rekey Cloud account: { $code }
mail-delete-account-body = To delete your Rekey Cloud account, enter this code:

    { $code }

    It is valid for { $minutes } minutes and can be used once. Deleting the account releases all its recorders.
mail-account-deleted-subject = Your Rekey Cloud account was deleted
mail-account-deleted-body = Your Rekey Cloud account was deleted at { $when }. These recorders were released from it; each shows a new Register Code, and temporary passwords issued for them before no longer work:

    { $devices }

    Your account's data will be deleted { $days } days from now. Your e-mail address can be used to sign up again. If this was not you, contact the operator of this cloud at once.
mail-account-deleted-no-devices = - (none)
