# Cloud portal messages.
cloud-brand = Rekey クラウド
cloud-back-home = 最初のページに戻る
cloud-nav-devices = デバイス
cloud-nav-account = ユーザー情報
cloud-nav-logout = ログアウト
cloud-cancel = キャンセル
cloud-next-button = 次へ
cloud-save-button = 保存
cloud-saved = 保存しました。
cloud-acquire-button = Acquire
cloud-get-code-button = 確認コードを取得する
cloud-login-title = ログイン
cloud-login-button = ログイン
cloud-login-failed = ユーザー名／メールアドレスまたはパスワードが違います。
cloud-login-locked = ログインの失敗が多すぎます。{ $minutes } 分後にもう一度お試しください。
cloud-forgot-link = クラウドのパスワードをお忘れですか？
cloud-no-account = アカウントをお持ちでない方
cloud-signup-pc-link = サインアップ
cloud-signup-phone-link = スマートフォンでサインアップ
cloud-signup-title = サインアップ
cloud-signup-button = サインアップ
cloud-signup-done = アカウントを作成しました。ユーザー名は { $username } です（ユーザー情報で変更できます）。
cloud-field-login = ユーザー名またはメールアドレス
cloud-field-username = ユーザー名
cloud-field-password = パスワード
cloud-field-confirm = 確認
cloud-field-new-password = 新しいパスワード
cloud-field-current-password = 現在のパスワード
cloud-field-region = 地域
cloud-field-time-zone = タイムゾーン
cloud-field-email = メールアドレス
cloud-field-new-email = 新しいメールアドレス
cloud-field-code = 確認コード
cloud-field-created = 作成日
cloud-field-device-name = デバイス名
cloud-field-serial = シリアル番号
cloud-field-status = 状態
cloud-field-added = 追加日
cloud-field-register-code = 登録コード
cloud-username-hint = 英数字と「.」「_」「-」で 3〜32 文字。ユーザー名かメールアドレスでログインできます。
cloud-password-hint = { $min } 文字以上。長いパスフレーズも使えます。よく使われるパスワードは使えません。
cloud-m-region-prompt = お住まいの地域を選んでください。
cloud-agree-label = 読んだ上、同意します：
cloud-agreement-link = サービス契約
cloud-agreement-title = サービス契約
cloud-agreement-version = バージョン { $version }
cloud-agreement-text = Rekey クラウドは、お客様のアカウント、登録されたレコーダー、およびレコーダーの管理者パスワードを復旧するための鍵を保管します。メールアドレスは、確認コード、仮パスワード、アカウントとデバイスに関するお知らせの送信にのみ使います。レコーダーの削除や登録情報の変更はいつでもできます。ご自身が所有していないレコーダーを登録しないでください。
cloud-agreement-required = サービス契約を読み、同意してください。
cloud-code-sent = 確認コードを { $email } に送信しています。有効期間は { $minutes } 分です。数分たっても届かない場合は、アドレスと迷惑メールフォルダーを確認してください。
cloud-code-resend-link = コードが届かない場合は、最初からやり直して新しいコードを送信してください。
cloud-code-format = 確認コードは 6 桁の数字です。
cloud-code-cooldown = 先ほどコードを送信しました。{ $seconds } 秒後に再送できます。
cloud-code-none = このアドレスにはコードが送信されていないか、新しいコードに置き換わりました。新しいコードを取得してください。
cloud-code-expired = コードの有効期限が切れました。新しいコードを取得してください。
cloud-code-too-many = 間違ったコードの入力が多すぎます。新しいコードを取得してください。
cloud-code-used = このコードはすでに使われています。新しいコードを取得してください。
cloud-code-wrong = コードが違います。あと { $tries } 回入力できます。
cloud-email-invalid = name@example.com のような正しいメールアドレスを入力してください。
cloud-email-taken = このメールアドレスのアカウントはすでにあります。ログインするか、「クラウドのパスワードをお忘れですか？」をご利用ください。
cloud-email-same = すでにこのメールアドレスが登録されています。
cloud-username-taken = このユーザー名はすでに使われています。別の名前にしてください。
cloud-username-length = ユーザー名は 3〜32 文字です。
cloud-username-character = ユーザー名は英数字と「.」「_」「-」で、英数字で始めてください。
cloud-username-email = ユーザー名に「@」は使えません。
cloud-region-invalid = 一覧から地域を選んでください。
cloud-forgot-title = クラウドのパスワードをお忘れですか？
cloud-forgot-intro = アカウントのメールアドレスを入力してください。アカウントがあれば、そのアドレスに確認コードを送信します。
cloud-reset-button = 新しいパスワードを設定
cloud-reset-done = パスワードを変更しました。新しいパスワードでログインしてください。
cloud-account-title = ユーザー情報
cloud-change-username = ユーザー名の変更
cloud-change-email = メールアドレスの変更
cloud-change-time-zone = タイムゾーンの変更
cloud-time-zone-hint = このページとあなたへのメールの時刻は、このタイムゾーンで表示されます。Retrieve の開始日もこのタイムゾーンの今日から始まります。
cloud-time-zone-unknown = 一覧からタイムゾーンを選んでください。
cloud-change-password = パスワードの変更
cloud-password-current-wrong = 現在のパスワードが違います。
cloud-password-current-locked = 現在のパスワードの誤りが多すぎます。{ $minutes } 分後にもう一度お試しください。
cloud-password-changed = パスワードを変更しました。ほかのセッションはログアウトされました。
cloud-devices-title = マイクラウドデバイス
cloud-devices-none = デバイスはまだありません。登録コードでレコーダーを追加してください。
cloud-status-online = オンライン
cloud-status-offline = オフライン
cloud-last-seen = 最終接続 { $time }
cloud-add-device = ＋デバイス追加
cloud-add-device-hint = 登録コードはレコーダーの メニュー → ネットワーク → クラウド に表示されています。そこに表示される QR コードをスマートフォンで読み取ることもできます。
cloud-add-button = 追加
cloud-add-from-qr = QR コードの登録コードを確認し、デバイス名を付けて「追加」を押してください。
cloud-rename-button = 名前を変更
cloud-remove-button = 削除
cloud-remove-title = デバイスの削除
cloud-remove-question = { $name }（{ $serial }）をアカウントから削除しますか？ 仮パスワードを取得できなくなり、レコーダーには新しい登録コードが発行されます。
cloud-device-added = { $name } を追加しました。
cloud-device-removed = デバイスを削除しました。
cloud-device-name-invalid = デバイス名は 1〜64 文字です。
cloud-device-not-found = このデバイスはアカウントに登録されていません。
cloud-device-already-yours = このレコーダーはすでにあなたのデバイスに登録されています。
cloud-device-taken = このレコーダーはすでに別のアカウントに登録されています。先にそちらで削除する必要があります。
cloud-register-code-mistyped = 登録コードに入力ミス（文字の間違いや入れ替わり）があります。レコーダーの画面で確認してください。
cloud-register-code-malformed = 登録コードは ABCD-EFGH-JKMN のような英数字 12 文字です。
cloud-register-code-unknown = この登録コードのレコーダーはありません。レコーダー（メニュー → ネットワーク → クラウド）で確認してください。コードはレコーダーが再接続すると変わります。
cloud-qr-version = この QR コードは、このクラウドより新しいレコーダーのものです。登録コードを手で入力してください。
cloud-api-login-required = 先にログインしてください。
cloud-outbox-title = 送信箱
cloud-outbox-intro = メールサーバーが設定されていないため、メールは送信されずにここ（およびデータディレクトリの outbox フォルダーの .eml ファイル）に書き込まれます。
cloud-outbox-written = 送信箱に書き込み済み
cloud-outbox-queued = 送信待ち
region-jp = 日本
region-us = アメリカ合衆国
region-eu = ヨーロッパ
region-ap = アジア太平洋
mail-footer-code = — Rekey クラウド。お心当たりがない場合は、このメールを無視してください。コードがなければ何も変更されません。
mail-footer-notice = — Rekey クラウド。このお知らせは、アカウントにこの種の変更があるたびに送られます。
mail-signup-subject = Rekey クラウドの確認コード：{ $code }
mail-signup-body = サインアップの確認コードは次のとおりです。

    { $code }

    有効期間は { $minutes } 分で、1 回だけ使えます。
mail-change-email-subject = 新しいメールアドレスの確認：{ $code }
mail-change-email-body = このアドレスを Rekey クラウドのアカウントのメールアドレスにするには、次のコードを入力してください。

    { $code }

    有効期間は { $minutes } 分で、1 回だけ使えます。
mail-reset-password-subject = Rekey クラウドのパスワード再設定：{ $code }
mail-reset-password-body = Rekey クラウドのアカウントに新しいパスワードを設定するには、次のコードを入力してください。

    { $code }

    有効期間は { $minutes } 分で、1 回だけ使えます。
mail-password-changed-subject = Rekey クラウドのパスワードが変更されました
mail-password-changed-body = Rekey クラウドのアカウントのパスワードが変更されました。お心当たりがない場合は、すぐに「クラウドのパスワードをお忘れですか？」をご利用ください。
cloud-nav-activity = 操作履歴
cloud-send-button = 送信
cloud-recover-title = パスワードの復旧
cloud-recover-send-to = 仮パスワードの送信先
cloud-recover-qr-until = この QR コードの有効期限
cloud-recover-explain = 「送信」を押すと、このレコーダーの仮パスワードをメールで送ります。レコーダーの「パスワードの復旧」画面でセキュリティコードとして、新しいパスワードと一緒に入力してください。
cloud-recover-next-step = 仮パスワードを、この QR コードを表示しているレコーダーの「パスワードの復旧」画面でセキュリティコードとして入力してください。
cloud-recover-sent = 仮パスワードを { $email } に送信しました。{ $until } まで使えます。
cloud-recover-not-yours = この QR コードは、あなたのアカウントのデバイスのものではありません。レコーダーを登録したアカウントでログインしてください。
cloud-recover-no-key = このレコーダーはまだ復旧用の鍵を受け取っていません。一度クラウドに接続してから（メニュー → ネットワーク → クラウド）もう一度お試しください。
cloud-recover-not-a-qr = これはレコーダーの「パスワードの復旧」画面の QR コードではありません。
cloud-recover-qr-expired = この QR コードは有効期限切れです。レコーダーで「パスワードをお忘れですか？」をもう一度開き、新しいコードを表示してください。
cloud-recover-qr-forged = この QR コードは改変されているか、このレコーダーのものではありません。レコーダーの画面に表示されたコードを読み取ってください。
cloud-recover-qr-used = この QR コードの仮パスワードはすでに送信済みです。メールを確認するか、レコーダーで新しい QR コードを表示してください。
cloud-recover-device-limit = 本日このレコーダーに発行した仮パスワードが多すぎます。次は { $next } 以降に発行できます。
cloud-recover-account-limit = 本日あなたのアカウントに発行した仮パスワードが多すぎます。次は { $next } 以降に発行できます。
cloud-recover-sequence = レコーダーからの報告がないまま多くの仮パスワードが発行されました。先にレコーダーをクラウドに接続してください。
cloud-path-phone = スマートフォン（復旧用 QR コード）
cloud-path-pc = PC ポータル（Retrieve）
cloud-path-app = rekey アプリ
cloud-retrieve-title = Retrieve（仮パスワードの取得）
cloud-retrieve-button = Retrieve
cloud-field-temporary-password = 仮パスワード
cloud-field-valid-date = Valid Date
cloud-field-from = 開始日
cloud-field-to = 終了日
cloud-retrieve-range-hint = 仮パスワードは、レコーダー自身の日付で開始日から終了日まで（最長 { $days } 日）使えます。レコーダーがオフラインでも使えます。
cloud-retrieve-dates-hint = 日付はレコーダー自身の日付（レコーダーに設定されたタイムゾーン）です。開始日には、あなたのタイムゾーン（{ $zone }）での今日の日付が入っています。
cloud-retrieve-valid = 有効期間：{ $from } 〜 { $to }（レコーダーの日付）
cloud-retrieve-reminder = レコーダーの「パスワードの復旧」画面でセキュリティコードとして入力し、すぐに新しいパスワードを設定してください。1 回だけ使えます。
cloud-retrieve-date-invalid = 日付は YYYY-MM-DD の形式で入力してください。
cloud-retrieve-from-range = 開始日は昨日から { $days } 日後までの間にしてください。
cloud-retrieve-reversed = 終了日が開始日より前です。
cloud-retrieve-too-long = 仮パスワードの有効期間は最長 { $days } 日です。
cloud-retrieve-code-mismatch = このコードは別のデバイスまたは別の日付のために送信されたものです。新しいコードを取得してください。
cloud-activity-title = 操作履歴
cloud-activity-intro = あなたのデバイスに発行されたすべての仮パスワードです。心当たりのないものがあれば、クラウドのパスワードを変更してください。
cloud-activity-none = 仮パスワードはまだ発行されていません。
cloud-activity-until = { $until } まで、{ $email } に送信
cloud-activity-devices-title = このアカウントから解除されたレコーダー
cloud-activity-event-released = レコーダーの管理者が解除
cloud-field-when = 日時
cloud-field-what = 内容
cloud-field-path = 方法
cloud-field-validity = 有効
cloud-kind-challenge = 仮パスワード（QR コード）
cloud-kind-date-window = 仮パスワード（日付指定）
mail-retrieve-subject = 仮パスワードの取得（Retrieve）の確認コード：{ $code }
mail-retrieve-body = レコーダーの仮パスワードを取得するには、次のコードを入力してください。

    { $code }

    有効期間は { $minutes } 分で、1 回だけ使えます。
mail-challenge-subject = { $device } の仮パスワード
mail-challenge-body = { $device } の仮パスワードは次のとおりです。

    { $password }

    レコーダーの「パスワードの復旧」画面で、新しいパスワードと一緒にセキュリティコードとして入力してください。{ $until } まで、読み取った QR コードがその画面に表示されている間だけ、1 回使えます。
mail-issued-subject = { $device } の仮パスワードが発行されました
mail-issued-body = { $device }（{ $serial }）の仮パスワードが { $when } に { $path } から発行され、{ $sent_to } に送信または表示されました。

    お心当たりがない場合は、すぐにクラウドのパスワードを変更し、レコーダーを確認してください。
mail-email-changed-subject = Rekey クラウドのアカウントのメールアドレスが変更されました
mail-email-changed-body = Rekey クラウドのアカウントのメールアドレスが { $address } に変更されました。今後のコードやお知らせはそちらに送られ、ほかのセッションはログアウトされました。お心当たりがない場合は、すぐにこのクラウドの運営者に連絡してください。
mail-released-subject = { $device } が Rekey クラウドのアカウントから解除されました
mail-released-body = レコーダー { $device }（シリアル番号 { $serial }）の管理者が、{ $when } にレコーダーの「ネットワーク › クラウド」画面で admin パスワードを使い、このレコーダーをあなたの Rekey クラウドのアカウントから解除しました。このレコーダーはデバイスの一覧から外れ、これまでに発行された仮パスワードはこのレコーダーでは使えなくなりました。もう一度追加するには、レコーダーの画面に表示される新しい登録コードが必要です。

    お心当たりがない場合は、レコーダーの admin パスワードがほかの人に知られています。レコーダーと監査ログを確認してください。
cloud-retrieve-key-pending = レコーダーは新しい登録の鍵をまだ受け取っていません（次にクラウドに接続したときに受け取ります）。この仮パスワードはそれまでの間だけ使えます。レコーダーで「違う」と表示された場合は、新しい仮パスワードを取得してください。
cloud-retrieved-expired = この仮パスワードは有効期限が切れました。最終有効日を過ぎたため、表示されなくなりました。まだレコーダーにログインできない場合は、新しい仮パスワードを取得してください。
cloud-retrieved-again = 新しい仮パスワードを取得

## Transfers between accounts and installer hand-overs (docs/protocol.md §9, "Transfer")
cloud-nav-transfers = 引き渡し
cloud-transfers-title = デバイスの引き渡し
cloud-transfers-intro = デバイスをほかの Rekey クラウドのアカウントに引き渡します。デバイスを選び、受け取るアカウントのメールアドレスとあなたのパスワードを入力してください。相手が受け取るまで何も変わらず、それまでは取り消せます。
cloud-transfers-incoming = あなたに引き渡されるデバイス
cloud-transfers-outgoing = あなたが引き渡すデバイス
cloud-transfers-none = 進行中の引き渡しはありません。
cloud-transfer-from = { $username } から（期限 { $until }）
cloud-transfer-to = { $email } へ（期限 { $until }）
cloud-transfer-new-title = デバイスを引き渡す
cloud-transfer-field-to = 受け取るアカウントのメールアドレス
cloud-transfer-select-hint = 引き渡すデバイスを選んでください。
cloud-transfer-button = 引き渡す
cloud-transfer-accept-hint = 受け取るデバイスを選んでください。選ばなかったデバイスは送り主に残ります。受け取ったデバイスには新しい復旧用の鍵が設定され、以前の所有者の仮パスワードは使えなくなります。
cloud-transfer-accept-button = 選んだデバイスを受け取る
cloud-transfer-decline-button = すべて断る
cloud-transfer-cancel-button = 引き渡しを取り消す
cloud-transfer-offered = { $email } への引き渡しを申し込みました。相手が受け取るまで何も変わりません。
cloud-transfer-accepted = { $count } 台のデバイスがあなたのアカウントに移りました。
cloud-transfer-declined-notice = 引き渡しを断りました。デバイスは送り主に残ります。
cloud-transfer-cancelled-notice = 引き渡しを取り消しました。デバイスはあなたのアカウントに残ります。
cloud-transfer-to-self = これはあなた自身のメールアドレスです。デバイスを受け取るアカウントのメールアドレスを入力してください。
cloud-transfer-no-devices = 引き渡すデバイスを 1 台以上選んでください。
cloud-transfer-device-not-yours = { $serial } はあなたのデバイスではありません。
cloud-transfer-device-pending = { $serial } はすでに進行中の引き渡しに含まれています。先にそちらを取り消してください。
cloud-transfer-not-found = この引き渡しは見つかりません。
cloud-transfer-not-for-you = この引き渡しはほかのアカウント宛てです。送られたメールアドレスのアカウントでログインしてください。
cloud-transfer-not-sender = この引き渡しを取り消せるのは、申し込んだアカウントだけです。
cloud-transfer-closed = この引き渡しにはすでに回答済みです。
cloud-transfer-cancelled = この引き渡しは送り主が取り消しました。
cloud-transfer-expired = この引き渡しは期限が切れました。送り主にもう一度申し込んでもらってください。
cloud-transfer-none-selected = 受け取るデバイスを 1 台以上選ぶか、すべて断ってください。
cloud-transfer-device-not-listed = { $serial } はこの引き渡しに含まれていません。
cloud-activity-event-transferred-out = ほかのアカウントに引き渡し
cloud-activity-event-transferred-in = ほかのアカウントから受け取り
mail-footer-offer = — Rekey クラウド。お心当たりがない場合は、このメールを無視してください。受け取らなければ何も変更されません。
mail-transfer-offer-subject = { $from } から Rekey クラウドのデバイスの引き渡しがあります
mail-transfer-offer-body = Rekey クラウドのアカウント { $from } が、このメールアドレスのアカウントに次のデバイスを引き渡そうとしています：{ $devices }。

    すべて、または一部を受け取るには、{ $until } までにログイン（またはこのメールアドレスでサインアップ）して { $link } を開いてください。
mail-transferred-subject = Rekey クラウドのデバイスを引き渡しました
mail-transferred-body = { $when } に、{ $to } のアカウントがあなたの Rekey クラウドのアカウントから次のデバイスを受け取りました：{ $devices }。これらはデバイスの一覧から外れ、これまでにあなたに発行された仮パスワードはこれらのデバイスでは使えなくなりました。
mail-received-subject = Rekey クラウドのアカウントにデバイスが追加されました
mail-received-body = { $when } に、{ $from } から次のデバイスを受け取りました：{ $devices }。デバイスの一覧に追加され、新しい復旧用の鍵が設定されました。
mail-transfer-declined-subject = Rekey クラウドのデバイスの引き渡しが断られました
mail-transfer-declined-body = { $to } のアカウントが、あなたが引き渡そうとしたデバイスを断りました：{ $devices }。これらはあなたの Rekey クラウドのアカウントに残ります。
mail-transfer-cancelled-subject = { $from } が Rekey クラウドのデバイスの引き渡しを取り消しました
mail-transfer-cancelled-body = Rekey クラウドのアカウント { $from } が、このメールアドレスのアカウントへの次のデバイスの引き渡しを取り消しました：{ $devices }。何も変更されていません。

# アカウントのデータ：エクスポートと削除（ユーザー情報）
cloud-export-title = アカウントのデータ
cloud-export-intro = このクラウドがアカウントについて保存しているもの（アカウントの情報、デバイス、発行された仮パスワード、デバイスに起きたこと）を JSON ファイルでダウンロードできます。パスワード、鍵、コードは含まれません。
cloud-export-button = データをダウンロード（JSON）
cloud-delete-account = アカウントの削除
cloud-delete-account-intro = アカウントを削除すると、デバイスのすべてのレコーダーが解除され（それぞれ新しい登録コードを表示し、以前に発行された仮パスワードは使えなくなります）、すべての場所でログアウトし、メールアドレスは再びサインアップに使えるようになります。データは { $days } 日後に削除されます。残したい場合は先にデータをダウンロードしてください。パスワードを入力すると、確認コードがメールで送られます。
cloud-delete-account-code-sent = アカウントのメールアドレスに確認コードを送信しました。入力するとアカウントが削除されます。元に戻すことはできません。
cloud-delete-account-button = アカウントを削除する
cloud-account-deleted = アカウントを削除し、レコーダーを解除しました。確認のメールをアカウントのメールアドレスに送信しました。
cloud-account-delete-changed = 削除の途中でデバイスが変更されました。何も削除されていません。新しい確認コードを取得して、もう一度お試しください。
cloud-activity-event-account-deleted = アカウントの削除により解除
mail-delete-account-subject = Rekey クラウドのアカウント削除の確認コード：{ $code }
mail-delete-account-body = Rekey クラウドのアカウントを削除するには、次のコードを入力してください。

    { $code }

    有効期間は { $minutes } 分で、1 回だけ使えます。アカウントを削除すると、すべてのレコーダーが解除されます。
mail-account-deleted-subject = Rekey クラウドのアカウントが削除されました
mail-account-deleted-body = Rekey クラウドのアカウントが { $when } に削除されました。次のレコーダーが解除されました。それぞれ新しい登録コードを表示し、以前に発行された仮パスワードは使えなくなります。

    { $devices }

    アカウントのデータは { $days } 日後に削除されます。メールアドレスは再びサインアップに使えます。お心当たりがない場合は、すぐにこのクラウドの運営者に連絡してください。
mail-account-deleted-no-devices = -（なし）
