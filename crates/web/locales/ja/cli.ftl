## The `rekey` command (crates/cli): what it prints for people. Its --json output is never
## localized; clap's --help text stays English.

## General
cli-error-line = エラー：{ $message }
cli-warning-plain-http = 警告：{ $cloud } は https ではありません。パスワードとセッションが暗号化されずに送られます
cli-yes-no = [y/N]
cli-missing-value = { $what }が必要です。{ $flag } で指定してください（標準入力が端末ではないため、rekey からは尋ねられません）
cli-value-not-given = { $what }が入力されませんでした
cli-cannot-read-value = { $what }を読み取れません
cli-no-stdin-value = 標準入力に{ $what }がありません。1 行で渡してください
cli-cannot-read-stdin = 標準入力を読み取れません
cli-then-run = 次に実行してください：{ $command }
cli-bad-cloud = クラウドのアドレス { $input } が正しくありません：{ $reason }
cli-bad-session-cloud = { $path } に保存されたセッションのクラウドのアドレスが正しくありません
cli-session-other-cloud = ログインしているのは { $cloud } で、{ $other } ではありません。そのクラウドを使うには `rekey login --cloud { $other }` を実行するか、--cloud（と REKEY_CLOUD）を指定しないでください
cli-duration-seconds = { $n } 秒
cli-duration-minutes = { $n } 分
cli-duration-hours = { $n } 時間

## Talking to the cloud (the --json "error" key is the same)
cli-unreachable = クラウド { $cloud } に接続できません：{ $reason }
cli-timeout = クラウド { $cloud } から時間内に応答がありませんでした
cli-not-logged-in = ログインしていません。`rekey login`（または `rekey signup`）を実行してください
cli-unauthorized = { $message }（`rekey login` を実行してください）
cli-rejected-retry = { $message }（{ $duration }後にもう一度お試しください）
cli-http = クラウド { $cloud } が HTTP { $status } を返しました
cli-redirected = クラウド { $cloud } が { $location } へ転送しました。クラウドが移転した場合は、--cloud で新しいアドレスを指定してください
cli-protocol = クラウド { $cloud } の応答を、このバージョンの rekey は理解できません（{ $detail }）
cli-another-address = 別のアドレス
cli-session-ended = セッションの有効期限が切れたか、終了しています
cli-setup = HTTP クライアントを準備できません：{ $reason }

## Local files and photos
cli-no-config-dir = セッションを保存する設定ディレクトリが見つかりません。--config-dir で指定してください
cli-io-read = { $path } を読み取れません：{ $reason }
cli-io-delete = { $path } を削除できません：{ $reason }
cli-io-create = { $path } を作成できません：{ $reason }
cli-io-create-file-in = { $path } にファイルを作成できません：{ $reason }
cli-io-protect = { $path } を保護できません：{ $reason }
cli-io-replace = { $path } を置き換えられません：{ $reason }
cli-io-write = { $path } に書き込めません：{ $reason }
cli-session-damaged = { $path } が壊れています（{ $detail }）。削除してから `rekey login` を実行してください
cli-qr-cannot-read = { $path } を読み取れません：{ $reason }
cli-qr-not-an-image = { $path } は、このプログラムで読める PNG または JPEG の画像ではありません（{ $reason }）
cli-qr-none = { $path } に QR コードが見つかりません。コード全体が画面の大部分を占めるように、正面からピントを合わせて撮影してください
cli-qr-not-rekey = { $path } の QR コードは Rekey のコードではありません：{ $reason }
cli-email-length = メールアドレスは 3～{ $max } 文字です
cli-email-shape = メールアドレスは name@example.com の形です

## What a value is, in the messages above
cli-what-current-password = 現在のパスワード
cli-what-password = パスワード
cli-what-new-password = 新しいパスワード
cli-what-login = ユーザー名またはメールアドレス
cli-what-email = メールアドレス
cli-what-code = 確認コード
cli-what-region = 地域
cli-what-confirmation = 確認
cli-what-agreement = サービス契約への同意
cli-what-device-name = デバイス名

## Prompts
cli-label-current-password = 現在のパスワード
cli-label-login = ユーザー名/メールアドレス
cli-label-password = パスワード
cli-label-code = 確認コード
cli-label-email = メールアドレス
cli-label-region = 地域（番号またはコード）
cli-label-new-password = 新しいパスワード
cli-label-repeat-password = 確認（もう一度入力）
cli-label-device-name = デバイス名

## Shown while waiting on the cloud
cli-wait-login = ログインしています…
cli-wait-logout = ログアウトしています…
cli-wait-send-code = 確認コードを送信しています…
cli-wait-check-code = 確認コードを確かめています…
cli-wait-agreement = サービス契約を取得しています…
cli-wait-signup = アカウントを作成しています…
cli-wait-regions = 地域の一覧を取得しています…
cli-wait-account = アカウントを取得しています…
cli-wait-set-username = ユーザー名を変更しています…
cli-wait-set-email = メールアドレスを変更しています…
cli-wait-set-password = パスワードを変更しています…
cli-wait-export = アカウントのデータを取得しています…
cli-wait-delete-account = アカウントを削除しています…
cli-wait-devices = デバイスを取得しています…
cli-wait-add-device = デバイスを追加しています…
cli-wait-rename-device = デバイス名を変更しています…
cli-wait-remove-device = デバイスを削除しています…
cli-wait-check-qr = QR コードを確かめています…
cli-wait-send-temporary = 仮パスワードを送信しています…
cli-wait-retrieve = 仮パスワードを取得しています…
cli-wait-transfers = 引き渡しを取得しています…
cli-wait-transfer = 引き渡しを取得しています…
cli-wait-offer = 引き渡しを申し出ています…
cli-wait-cancel-transfer = 引き渡しを取り消しています…
cli-wait-decline = 引き渡しを断っています…
cli-wait-accept = 引き渡しを受け取っています…

## Log in, log out
cli-logged-in = { $cloud } に { $username } としてログインしました。
cli-already-logged-out = ログインしていません。
cli-logout-not-told = 警告：クラウドに伝えられませんでした（{ $reason }）。このコンピューターのセッションは削除しました
cli-logged-out = ログアウトしました。

## Sign up
cli-signup-code-sent = 確認コードを { $email } に送信しました。有効期間は { $duration }です。届かない場合は迷惑メールフォルダーを確認してください。
cli-region-needed = 地域が必要です。--region で指定してください（`rekey signup --region … --email … --send-code-only` で確認コードを求めたときの地域は記憶されます）
cli-agreement-shown = サービス契約（バージョン { $version }）：{ $url }
cli-agreement-question = サービス契約を読んだ上、同意します。
cli-agreement-refused = アカウントの作成にはサービス契約への同意が必要です。アカウントは作成されませんでした
cli-signed-up = アカウントを作成しました。{ $username } としてログインしています。
cli-username-hint = ユーザー名はログイン ID です。`rekey account set-username NAME` で変更できます。
cli-no-regions = このクラウドにはサインアップできる地域がありません
cli-unknown-region = 地域 { $region } はありません。次から選んでください：{ $regions }
cli-region-only = 地域：{ $name }（{ $code }）
cli-regions = 地域：
cli-choose-region = 次から選んでください：{ $regions }
cli-password-rule = { $min } 文字以上のパスワードを決めてください。長いフレーズがおすすめです。
cli-password-try-again = { $reason } もう一度入力してください。
cli-password-choose-another = { $reason } 別のパスワードにしてください。
cli-cannot-read-password-again = 確認のパスワードを読み取れません

## Account
cli-field-username = ユーザー名
cli-field-email = メールアドレス
cli-field-region = 地域
cli-field-language = 言語
cli-field-time-zone = タイムゾーン
cli-field-created = 作成日時
cli-username-empty = ユーザー名が空です
cli-username-changed = ユーザー名（ログイン ID）を { $username } に変更しました。
cli-email-changed = メールアドレスを { $email } に変更しました。
cli-code-sent-to = 確認コードを { $email } に送信しました。有効期間は { $duration }です。
cli-code-sent-account = 確認コードをアカウントのメールアドレスに送信しました。有効期間は { $duration }です。
cli-password-same = 新しいパスワードが現在のパスワードと同じです
cli-password-changed = パスワードを変更しました。
cli-cannot-write = { $path } に書き込めません：{ $reason }
cli-exported = アカウントのデータを { $path } に保存しました。
cli-delete-question = アカウントを削除しますか？ アカウントのレコーダーはすべてアカウントから解除され、元に戻せません。
cli-cancelled-nothing-deleted = 取り消しました。何も削除していません
cli-deleted-none = レコーダーはありませんでした。
cli-deleted-released = 解除したレコーダー：{ $serials }。
cli-account-deleted = アカウントを削除しました。{ $released } データは { $days } 日後に消去されます。

## Devices
cli-no-devices = デバイスはまだありません。`rekey devices add --code CODE` または `rekey devices add --qr PHOTO` で追加してください。
cli-col-name = デバイス名
cli-col-serial = シリアル番号
cli-col-status = 状態
cli-col-last-seen = 最終接続
cli-col-added = 追加日時
cli-device-online = オンライン
cli-device-offline = オフライン
cli-never = なし
cli-give-code-or-qr = --code、--qr、--qr-url のいずれかを指定してください
cli-device-name-empty = デバイス名が空です
cli-device-added = { $name }（{ $serial }）を追加しました。クラウドに接続されるまでしばらくかかることがあります。
cli-device-renamed = { $before }（{ $serial }）の名前を { $name } に変更しました。
cli-remove-question = { $device } をアカウントから削除しますか？ 削除すると、このレコーダーの管理者パスワードをクラウドで復旧できなくなります。
cli-cancelled-nothing-removed = 取り消しました。何も削除していません
cli-device-removed = { $device } を削除しました。
cli-device-not-found = アカウントにデバイス { $query } はありません。`rekey devices list` で確認してください
cli-device-ambiguous = { $query } という名前のデバイスが複数あります（{ $serials }）。シリアル番号で指定してください
cli-register-code-mistyped = 登録コードの入力に誤りがあります（文字の誤りか、2 文字の入れ替わり）。レコーダーの「ネットワーク › クラウド」画面と見比べてください
cli-register-code-length = 登録コードは { $expected } 文字（XXXX-XXXX-XXXX）です。入力されたのは { $found } 文字です
cli-register-code-character = { $position } 文字目の { $character } は登録コードに使われません（英字と数字だけです）
cli-qr-is-recovery = これはレコーダーの「パスワードの復旧」画面の QR コードです。仮パスワードを取得するには `rekey recover --qr PHOTO` を使ってください
cli-qr-unusable = この QR コードは使えません：{ $reason }
cli-qr-other-cloud = 注意：この QR コードが示すクラウドは { $qr_cloud } ですが、rekey は { $cloud } を使っています（--cloud を参照）

## Temporary passwords
cli-give-qr = --qr または --qr-url を指定してください
cli-qr-is-registration = これはレコーダーの「ネットワーク › クラウド」画面の、登録用の QR コードです。仮パスワードには「パスワードの復旧」画面の QR コードが必要です（登録するには `rekey devices add --qr PHOTO` を使ってください）
cli-qr-expired-here = 注意：このコンピューターの時計では、この QR コードは期限切れです。クラウドに断られた場合は、レコーダーで新しい QR コードを表示してください
cli-field-recorder = レコーダー
cli-field-send-to = 仮パスワードの送信先
cli-field-qr-valid-until = QR コードの有効期限
cli-recover-question = このレコーダーの仮パスワードを { $email } にメールで送信しますか？
cli-cancelled-nothing-sent = 取り消しました。何も送信していません
cli-recover-sent = 仮パスワードを { $email } に送信しました。{ $until } まで使えます。
cli-recover-next-step = レコーダーの「パスワードの復旧」画面でセキュリティコードとして入力し、すぐに新しい管理者パスワードを設定してください。
cli-bad-date = { $flag } { $text } は日付ではありません。2026-11-02 のように YYYY-MM-DD で入力してください
cli-window-reversed = --to が --from より前です。最後の有効日は最初の有効日より前にできません
cli-window-too-long = 仮パスワードの有効期間は最長 { $max } 日です。指定された期間は { $days } 日です
cli-retrieve-code-sent = 確認コードを { $email }（アカウントのメールアドレス）に送信しました。有効期間は { $duration }です。
cli-retrieved = { $name }（{ $serial }）の仮パスワード：
cli-retrieved-valid = レコーダーの日付で { $from } から { $to } まで、1 回だけ使えます。
cli-retrieved-next-step = レコーダーの「パスワードの復旧」画面でセキュリティコードとして入力し、ログインしたらすぐにレコーダーの管理者パスワードを変更してください。

## Hand-overs
cli-no-transfers = 進行中の引き渡しはありません。
cli-col-id = ID
cli-col-with = 相手
cli-col-devices = デバイス
cli-col-until = 期限
cli-transfer-from = { $account } から
cli-transfer-to = { $account } へ
cli-recipient-empty = 受け取るアカウントのメールアドレスが空です
cli-transfer-offered = { $devices } を { $until } まで { $to } に引き渡す申し出をしました（ID { $id }）。受け取られるまで何も変わりません。`rekey transfer cancel { $id }` で取り消せます。
cli-transfer-cancelled = 引き渡しを取り消しました。デバイスはあなたのアカウントに残ります。
cli-transfer-no-device = { $query } はこの引き渡しのデバイスではないか、複数のデバイスの名前です。シリアル番号で指定してください
cli-transfer-declined = 引き渡しを断りました。デバイスは送り主に残ります。
cli-transfer-accepted = { $count } 台のデバイスがあなたのアカウントに移りました：{ $serials }。
cli-transfer-left = 送り主に残ったデバイス：{ $serials }。
cli-transfer-gone = 送り主のものではなくなったため移らなかったデバイス：{ $serials }。
