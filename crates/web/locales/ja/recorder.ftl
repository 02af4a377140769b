# レコーダーのメッセージ。
rec-app-title = レコーダー
rec-error-title = エラー
rec-error-forbidden = この操作は admin ユーザーだけが行えます。
rec-error-email-invalid = name@example.com のような形式でメールアドレスを入力してください。
rec-error-username-invalid = ユーザー名は 1～32 文字の英数字、ピリオド、ハイフン、アンダースコアで入力してください。
rec-error-username-taken = このユーザー名は既に使われています。
rec-back-home = トップページに戻る
rec-back-login = ログイン画面に戻る
rec-apply = 適用
rec-save = 保存

# メニュー
rec-menu-network = ネットワーク
rec-menu-cloud = ネットワーク › クラウド
rec-menu-users = ユーザー
rec-menu-audit = 監査ログ
rec-menu-logout = ログアウト

# 入力欄
rec-field-username = ユーザー名
rec-field-password = パスワード
rec-field-new-password = 新しいパスワード
rec-field-confirm-password = 新しいパスワード（確認）
rec-field-email = メールアドレス
rec-field-email-optional = メールアドレス（任意）
rec-field-security-code = セキュリティコード

# 操作後のお知らせ
rec-notice-activated = admin のパスワードを設定し、admin としてログインしました。
rec-notice-password-reset = admin のパスワードを再設定し、すべてのセッションを終了しました。新しいパスワードでログインしてください。
rec-notice-logged-out = ログアウトしました。
rec-notice-cloud-enabled = クラウドを有効にしました。レコーダーがクラウドに接続しています。
rec-notice-cloud-disabled = クラウドを無効にしました。レコーダーはクラウドに通知して切断しました。
rec-notice-email-saved = メールアドレスを保存しました。
rec-notice-user-added = ユーザーを追加しました。
rec-notice-cloud-release-requested = クラウドアカウントからの解除を記録しました。いま、またはレコーダーが次にクラウドに接続したときにクラウドに送られます。

# アクティベーション
rec-activate-title = レコーダーのアクティベーション
rec-activate-intro = このレコーダーにはまだパスワードがありません。使い始めるには admin ユーザーのパスワードを設定してください。初期パスワードはありません。
rec-activate-email-hint = admin のパスワードを忘れたとき、再設定用の仮パスワードがこのアドレスに送られます。あとから「ユーザー」画面でも設定できます。
rec-activate-submit = パスワードを設定

# ログイン
rec-login-title = ログイン
rec-login-submit = ログイン
rec-login-forgot = パスワードをお忘れですか？
rec-login-failed = ユーザー名またはパスワードが正しくありません。
rec-login-locked = ログインの失敗が多すぎます。{ $until } までログインできません。

# ユーザー
rec-users-title = ユーザー
rec-users-role = 権限
rec-users-role-admin = 管理者
rec-users-role-user = ユーザー
rec-users-admin-email = admin ユーザーのメールアドレス
rec-users-admin-email-hint = admin のパスワードを忘れたとき、仮パスワードがこのアドレスに送られます。空欄にすると、そのつどアドレスを入力します。
rec-users-add = ユーザーの追加
rec-users-add-submit = ユーザーを追加

# ネットワーク › クラウド
rec-cloud-tab = クラウド
rec-cloud-title = クラウド
rec-cloud-enabled = クラウド有効
rec-cloud-server = クラウドサーバー
rec-cloud-serial = シリアル番号
rec-cloud-status = 状態
rec-cloud-status-disabled = 無効
rec-cloud-status-connecting = 接続中…
rec-cloud-status-online = オンライン
rec-cloud-status-offline = オフライン（再接続します）
rec-cloud-last-error = 直近のエラー
rec-cloud-error-unreachable = クラウドサーバーに接続できません。ネットワーク設定とクラウドサーバーのアドレスを確認してください。
rec-cloud-error-not-configured-cloud = 接続先は設定されたクラウドではありません。署名がこのレコーダーに設定されたクラウドの鍵と一致しません。レコーダーは何も送信していません。
rec-cloud-error-refused-unsupported-protocol = クラウドが接続を拒否しました。このレコーダーのプロトコルバージョンに対応していません。レコーダーのソフトウェアを更新してください。
rec-cloud-error-refused-protocol-violation = プロトコルエラーのため、クラウドが接続を拒否しました。
rec-cloud-error-refused-key-mismatch = クラウドが接続を拒否しました。このシリアル番号は別の機器の鍵で登録されています。クラウドの運営者にお問い合わせください。
rec-cloud-error-refused-bad-signature = クラウドが接続を拒否しました。レコーダーの署名を確認できませんでした。
rec-cloud-error-refused-rate-limited = 接続が多すぎるため、クラウドが接続を一時的に拒否しました。しばらくして再接続します。
rec-cloud-error-connection-lost = クラウドとの接続が切れました。再接続しています。
rec-cloud-error-protocol = クラウドから想定外のメッセージが届きました。再接続しています。
rec-cloud-error-key-delivery = クラウドから届いた復旧用の鍵を開けませんでした。再接続しています。
rec-cloud-error-storage = レコーダーが設定を保存できませんでした。
rec-cloud-drift = 時刻のずれ
rec-cloud-drift-none = レコーダーの時計はクラウドと一致しています。
rec-cloud-drift-ahead = レコーダーの時計はクラウドより { $seconds } 秒進んでいます。
rec-cloud-drift-behind = レコーダーの時計はクラウドより { $seconds } 秒遅れています。
rec-cloud-recovery-key = パスワードの復旧
rec-cloud-recovery-key-present = 準備済み：このレコーダーはクラウドの仮パスワードを確認できます。
rec-cloud-recovery-key-absent = 未準備：このレコーダーをクラウドのアカウントに登録してください（登録コードまたは QR コード）。登録の復旧用の鍵を受け取ると準備完了になります。
rec-cloud-register-title = このレコーダーの登録
rec-cloud-register-hint = スマートフォンで QR コードを読み取るか、クラウドポータル（デバイスの追加）で登録コードを入力してください。レコーダーを登録できるクラウドアカウントは 1 つだけです。
rec-cloud-register-code = 登録コード
rec-cloud-qr-alt = このレコーダーを登録するための QR コード
rec-cloud-registered = このレコーダーはクラウドアカウントに登録されています。
rec-cloud-release-title = クラウドアカウントからの解除
rec-cloud-release-warning = 解除すると、このレコーダーは登録されているクラウドアカウントから外れます。そのアカウントの仮パスワードはすぐにこのレコーダーで使えなくなり、パスワードの復旧は未準備になります。アカウントの所有者にはメールで通知され、所有者が元に戻すことはできません。レコーダーには新しい登録コードが表示され、もう一度登録するには（元のアカウントでも）その登録コードが必要です。再び登録するまで、admin パスワードを忘れてもクラウドで復旧できません。
rec-cloud-release-password = admin パスワード（もう一度入力）
rec-cloud-release-button = クラウドアカウントから解除
rec-cloud-release-pending = クラウドアカウントからの解除を記録しました。レコーダーが次にクラウドに接続したときに送られます。それまでこのレコーダーは仮パスワードを受け付けません。クラウドで解除されると新しい登録コードが表示されます。
rec-cloud-release-wrong-password = admin パスワードが違います。何も変更していません。
rec-cloud-release-not-registered = このレコーダーはクラウドアカウントに登録されていないため、解除するものはありません。
rec-cloud-release-not-prepared = このレコーダーは登録の復旧用の鍵をまだ受け取っていません。「準備済み」と表示されるまで待ってから（クラウドに接続すると受け取ります）解除してください。

# パスワードをお忘れですか？
rec-forgot-title = パスワードをお忘れですか？
rec-forgot-registered-email = 仮パスワードは admin ユーザーに登録されたメールアドレスに送られます：
rec-forgot-ask-email = 仮パスワードを送信するメールアドレスを入力してください。
rec-forgot-submit = 次へ
rec-forgot-have-code = 仮パスワードを既に持っている
rec-forgot-limited = パスワード復旧の要求が多すぎます。{ $time } 以降にもう一度お試しください。以前の要求に対して送られた仮パスワードはその要求の期限まで使えます。クラウドポータル（Retrieve）の仮パスワードはいつでも使えます。

# パスワードの復旧
rec-recovery-title = パスワードの復旧
rec-recovery-no-key = パスワードの復旧は利用できません。このレコーダーはクラウドのアカウントに登録されていないか、登録の復旧用の鍵をまだ受け取っていません。復旧できるのは、パスワードを忘れる前にクラウドを有効にしてレコーダーを登録していた場合だけです。
rec-recovery-scan = この QR コードをスマートフォンで読み取ってください。仮パスワードがメールで届きます。または、クラウドポータルの「Retrieve」で仮パスワードを取得して下に入力してください。
rec-recovery-qr-alt = パスワード復旧用の QR コード
rec-recovery-expires = この QR コードは { $time } まで有効です。
rec-recovery-no-challenge = QR コードは表示されていません。スマートフォンを使う場合は、次からやり直してください：
rec-recovery-submit = パスワードを再設定
rec-recovery-locked = セキュリティコードの誤りが多すぎます。パスワードの復旧は { $until } までロックされています。
rec-code-malformed-character = セキュリティコードに「{ $character }」（{ $position } 文字目）は使えません。使えるのは数字と英字 A～Z だけです。
rec-code-malformed-length = セキュリティコードは { $expected } 文字ですが、{ $found } 文字入力されています。XXXX-XXXX-XXXX-XXXX の形で確認してください。
rec-code-not-for-this-device = このセキュリティコードはこのレコーダー（シリアル番号 { $serial }）のものと一致しません。入力に誤りがないか確認してください。正しく入力している場合は別のレコーダー用に発行されたコードです。このレコーダー用のコードを取得してください。
rec-code-wrong = セキュリティコードが正しくありません。入力の誤りがないか確認してください。
rec-code-already-used = このセキュリティコード（またはそれより新しいコード）は既に使われています。新しいコードを取得してください。
rec-code-not-yet-valid = このセキュリティコードの有効期間は { $from } ～ { $to } ですが、レコーダーの日付は { $today } です。
rec-code-expired = このセキュリティコードの有効期間は { $from } ～ { $to } でしたが、レコーダーの日付は { $today } です。
rec-code-check-clock = レコーダーの日付が間違っている場合は時計を合わせてください。正しい場合は、今日の日付で新しいセキュリティコードを取得してください。
rec-code-challenge-expired = 復旧の要求は { $expired } に期限切れになりました（レコーダーの現在時刻 { $now }）。「パスワードをお忘れですか？」からやり直してください。
rec-code-challenge-replaced = このセキュリティコードは以前の復旧要求のものです。最新の QR コードに対するコードを使ってください。

# 監査ログ
rec-audit-title = 監査ログ
rec-audit-time = 日時
rec-audit-event = イベント
rec-audit-client = 接続元アドレス
rec-audit-detail = 詳細
rec-audit-locked-for = { $minutes } 分間ロック
rec-audit-challenge-code = スマートフォン（QR）のコード
rec-audit-date-window-code = クラウドポータル（日付指定）のコード
rec-audit-repeats = 回数
rec-audit-repeated = { $count } 回（最後は { $last }）
rec-audit-event-recovery-request-refused = パスワード復旧の要求の拒否
rec-audit-limit-client = この接続元からの要求が多すぎる
rec-audit-limit-overall = 全体の要求が多すぎる
rec-audit-event-activated = レコーダーのアクティベーション
rec-audit-event-login-succeeded = ログイン
rec-audit-event-login-failed = ログイン失敗
rec-audit-event-login-locked = ログインのロック
rec-audit-event-logout = ログアウト
rec-audit-event-email-changed = メールアドレスの変更
rec-audit-event-user-added = ユーザーの追加
rec-audit-event-recovery-requested = パスワード復旧の要求
rec-audit-event-recovery-succeeded = 仮パスワードによるパスワード再設定
rec-audit-event-recovery-failed = 仮パスワードの誤り
rec-audit-event-recovery-locked = パスワード復旧のロック
rec-audit-event-cloud-enabled = クラウドの有効化
rec-audit-event-cloud-disabled = クラウドの無効化
rec-audit-event-cloud-release-requested = クラウドアカウントからの解除の要求
rec-audit-event-cloud-release-refused = クラウドアカウントからの解除の拒否（admin パスワードの誤り）
rec-audit-event-cloud-released = クラウドアカウントからの解除
rec-audit-event-cloud-enrolled = クラウドへの初めての接続
rec-audit-event-cloud-registered = クラウドアカウントへの登録
rec-audit-event-cloud-transferred = 別のクラウドアカウントへの引き渡し（以前のアカウントの仮パスワードは使えなくなりました）
rec-audit-event-cloud-account-deleted = クラウドアカウントの削除による解除
rec-audit-event-cloud-key-changed = クラウドからの新しい復旧用の鍵
rec-audit-key-epoch = 復旧用の鍵 第 { $epoch } 版
rec-audit-release-released = クラウドで解除され、アカウントに通知されました。
rec-audit-release-not-bound = その登録はクラウドで既に終了していたため、クラウドでは何も変更されませんでした。
rec-reason-malformed = コードの形式が不正
rec-reason-for-another-device = このレコーダー用でない（入力誤り、または別のレコーダー用）
rec-reason-wrong = 誤り
rec-reason-already-used = 使用済み
rec-reason-not-yet-valid = 有効期間前
rec-reason-expired = 期限切れ
rec-reason-challenge-expired = 要求の期限切れ
rec-reason-challenge-replaced = 以前の要求
rec-open-here = スマートフォンやこの PC のブラウザーで表示している場合は、読み取る代わりにこのリンクを開いてください。
