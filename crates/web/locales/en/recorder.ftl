# Recorder messages.
rec-app-title = Recorder
rec-error-title = Error
rec-error-forbidden = Only the admin user can do this.
rec-error-email-invalid = Enter an e-mail address like name@example.com.
rec-error-username-invalid = A user name has 1 to 32 letters, digits, dots, hyphens or underscores.
rec-error-username-taken = This user name is already taken.
rec-back-home = Back to the start page
rec-back-login = Back to the login screen
rec-apply = Apply
rec-save = Save

# Menu
rec-menu-network = Network
rec-menu-cloud = Network › Cloud
rec-menu-users = Users
rec-menu-audit = Audit log
rec-menu-logout = Log out

# Form fields
rec-field-username = User name
rec-field-password = Password
rec-field-new-password = New password
rec-field-confirm-password = New password (again)
rec-field-email = E-mail address
rec-field-email-optional = E-mail address (optional)
rec-field-security-code = Security code

# Notices after an action
rec-notice-activated = The admin password is set, and you are logged in as admin.
rec-notice-password-reset = The admin password was reset and every session was ended. Log in with the new password.
rec-notice-logged-out = You logged out.
rec-notice-cloud-enabled = The cloud is enabled. The recorder is connecting to it.
rec-notice-cloud-disabled = The cloud is disabled. The recorder told the cloud and disconnected.
rec-notice-email-saved = The e-mail address was saved.
rec-notice-user-added = The user was added.
rec-notice-cloud-release-requested = The release from the cloud account was recorded. It is sent to the cloud now, or when the recorder next connects to it.

# Activation
rec-activate-title = Activate the recorder
rec-activate-intro = This recorder has no password yet. Set the password of the admin user to start using it. There is no default password.
rec-activate-email-hint = If you forget the admin password, the temporary password for resetting it is sent to this address. You can set it later on the Users page.
rec-activate-submit = Set password

# Login
rec-login-title = Log in
rec-login-submit = Log in
rec-login-forgot = Forgot password?
rec-login-failed = The user name or password is wrong.
rec-login-locked = Too many failed logins. Logging in is locked until { $until }.

# Users
rec-users-title = Users
rec-users-role = Role
rec-users-role-admin = Administrator
rec-users-role-user = User
rec-users-admin-email = E-mail address of the admin user
rec-users-admin-email-hint = If the admin password is forgotten, the temporary password is sent to this address. Leave it empty to be asked for an address each time.
rec-users-add = Add a user
rec-users-add-submit = Add user

# Network › Cloud
rec-cloud-tab = Cloud
rec-cloud-title = Cloud
rec-cloud-enabled = Cloud enabled
rec-cloud-server = Cloud server
rec-cloud-serial = Serial number
rec-cloud-status = Status
rec-cloud-status-disabled = Disabled
rec-cloud-status-connecting = Connecting…
rec-cloud-status-online = Online
rec-cloud-status-offline = Offline (retrying)
rec-cloud-last-error = Last error
rec-cloud-error-unreachable = The cloud server could not be reached. Check the network settings and the cloud server address.
rec-cloud-error-not-configured-cloud = The server is not the configured cloud: its signature does not match the cloud key set in this recorder. The recorder sent it nothing.
rec-cloud-error-refused-unsupported-protocol = The cloud refused the connection: it does not support this recorder's protocol version. Update the recorder's software.
rec-cloud-error-refused-protocol-violation = The cloud refused the connection because of a protocol error.
rec-cloud-error-refused-key-mismatch = The cloud refused the connection: this serial number is registered with another device key. Contact the cloud operator.
rec-cloud-error-refused-bad-signature = The cloud refused the connection: the recorder's signature did not verify.
rec-cloud-error-refused-rate-limited = The cloud refused the connection for now (too many connections). The recorder retries later.
rec-cloud-error-connection-lost = The connection to the cloud was lost. The recorder is reconnecting.
rec-cloud-error-protocol = The cloud sent an unexpected message. The recorder is reconnecting.
rec-cloud-error-key-delivery = A recovery key from the cloud could not be opened. The recorder is reconnecting.
rec-cloud-error-storage = The recorder could not save its settings.
rec-cloud-drift = Clock difference
rec-cloud-drift-none = The recorder's clock matches the cloud's.
rec-cloud-drift-ahead = The recorder's clock is { $seconds } s ahead of the cloud's.
rec-cloud-drift-behind = The recorder's clock is { $seconds } s behind the cloud's.
rec-cloud-recovery-key = Password recovery
rec-cloud-recovery-key-present = Prepared: this recorder can check temporary passwords from the cloud.
rec-cloud-recovery-key-absent = Not prepared yet: register this recorder to a cloud account (register code or QR code). It is prepared once it holds the recovery key of that registration.
rec-cloud-register-title = Register this recorder
rec-cloud-register-hint = Scan the QR code with your phone, or enter the register code on the cloud portal (Add Device). A recorder can be registered to only one cloud account.
rec-cloud-register-code = Register code
rec-cloud-qr-alt = QR code for registering this recorder
rec-cloud-registered = This recorder is registered to a cloud account.
rec-cloud-release-title = Release from the cloud account
rec-cloud-release-warning = Releasing removes this recorder from the cloud account it is registered to. At once, temporary passwords from that account stop working on this recorder and it is no longer prepared for password recovery. The account's owner is told by e-mail, and cannot undo it: the recorder shows a new register code, and any account (that one too) needs that code to register it again. Until it is registered again, a forgotten admin password cannot be recovered through the cloud.
rec-cloud-release-password = Admin password (enter it again)
rec-cloud-release-button = Release from the cloud account
rec-cloud-release-pending = The release from the cloud account is recorded and waits for the recorder's next connection to the cloud. Until then this recorder accepts no temporary password; the new register code is shown once the cloud has released it.
rec-cloud-release-wrong-password = The admin password is wrong. Nothing was changed.
rec-cloud-release-not-registered = This recorder is not registered to a cloud account, so there is nothing to release.
rec-cloud-release-not-prepared = This recorder has not yet received the recovery key of its registration. Wait until it shows "Prepared" (it gets the key when it is connected to the cloud), then release it.

# Forgot password
rec-forgot-title = Forgot password?
rec-forgot-registered-email = The temporary password will be sent to the admin user's registered e-mail address:
rec-forgot-ask-email = Enter the e-mail address the temporary password should be sent to.
rec-forgot-submit = Continue
rec-forgot-have-code = I already have a temporary password
rec-forgot-limited = Too many password recovery requests were made. You can make a new one after { $time }. A temporary password already sent for an earlier request still works until that request expires, and one from the cloud portal (Retrieve) works at any time.

# Password recovery
rec-recovery-title = Password recovery
rec-recovery-no-key = Password recovery is not available: this recorder is not registered to a cloud account, or has not yet received the recovery key of its registration. Recovery works only if the cloud was enabled and the recorder registered before the password was lost.
rec-recovery-scan = Scan this QR code with your phone. The temporary password is sent by e-mail. Or get a temporary password on the cloud portal (Retrieve) and enter it below.
rec-recovery-qr-alt = QR code for password recovery
rec-recovery-expires = This QR code is valid until { $time }.
rec-recovery-no-challenge = No recovery QR code is shown. To use the phone, start again with
rec-recovery-submit = Reset password
rec-recovery-locked = Too many wrong security codes. Password recovery is locked until { $until }.
rec-code-malformed-character = The security code cannot contain “{ $character }” (character { $position }). It uses only digits and the letters A–Z.
rec-code-malformed-length = A security code has { $expected } characters; you entered { $found }. Check it, e.g. XXXX-XXXX-XXXX-XXXX.
rec-code-not-for-this-device = This security code does not match this recorder (serial number { $serial }). Check it for typing mistakes; if it is typed right, it was issued for another recorder: request one for this recorder.
rec-code-wrong = The security code is wrong. Check it for typing mistakes.
rec-code-already-used = This security code was already used, or a newer one was. Request a new one.
rec-code-not-yet-valid = This security code is valid from { $from } to { $to }, but the recorder's date is { $today }.
rec-code-expired = This security code was valid from { $from } to { $to }, but the recorder's date is { $today }.
rec-code-check-clock = If the recorder's date is wrong, correct its clock; otherwise request a new security code for today's date.
rec-code-challenge-expired = The recovery request expired at { $expired } (the recorder's time is now { $now }). Start again with “Forgot password?”.
rec-code-challenge-replaced = This security code belongs to an earlier recovery request. Use the code for the newest QR code.

# Audit log
rec-audit-title = Audit log
rec-audit-time = Time
rec-audit-event = Event
rec-audit-client = Client address
rec-audit-detail = Detail
rec-audit-locked-for = locked for { $minutes } min
rec-audit-challenge-code = code from the phone (QR)
rec-audit-date-window-code = code from the cloud portal (dates)
rec-audit-repeats = Repeats
rec-audit-repeated = { $count } times, last at { $last }
rec-audit-event-recovery-request-refused = Password recovery request refused
rec-audit-limit-client = too many from this address
rec-audit-limit-overall = too many from all addresses
rec-audit-event-activated = Recorder activated
rec-audit-event-login-succeeded = Login
rec-audit-event-login-failed = Failed login
rec-audit-event-login-locked = Logins locked
rec-audit-event-logout = Logout
rec-audit-event-email-changed = E-mail address changed
rec-audit-event-user-added = User added
rec-audit-event-recovery-requested = Password recovery requested
rec-audit-event-recovery-succeeded = Password reset with a temporary password
rec-audit-event-recovery-failed = Wrong temporary password
rec-audit-event-recovery-locked = Password recovery locked
rec-audit-event-cloud-enabled = Cloud enabled
rec-audit-event-cloud-disabled = Cloud disabled
rec-audit-event-cloud-release-requested = Release from the cloud account requested
rec-audit-event-cloud-release-refused = Release from the cloud account refused (wrong admin password)
rec-audit-event-cloud-released = Released from the cloud account
rec-audit-event-cloud-enrolled = Connected to the cloud for the first time
rec-audit-event-cloud-registered = Registered to a cloud account
rec-audit-event-cloud-transferred = Handed over to another cloud account (the former account's temporary passwords no longer work)
rec-audit-event-cloud-account-deleted = Released: its cloud account was deleted
rec-audit-event-cloud-key-changed = New recovery key from the cloud
rec-audit-key-epoch = recovery key no. { $epoch }
rec-audit-release-released = The cloud released the recorder and notified the account.
rec-audit-release-not-bound = That registration had already ended in the cloud; nothing changed there.
rec-reason-malformed = not a security code
rec-reason-for-another-device = not for this recorder (mistyped, or for another)
rec-reason-wrong = wrong
rec-reason-already-used = already used
rec-reason-not-yet-valid = not yet valid
rec-reason-expired = expired
rec-reason-challenge-expired = request expired
rec-reason-challenge-replaced = earlier request
rec-open-here = Using the browser on your phone or on this PC? Open the link instead of scanning.
