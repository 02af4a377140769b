# クラウドポータルとレコーダーで共通のメッセージ。
app-language = 言語
password-too-short = { $min } 文字以上にしてください。
password-too-long = { $max } 文字以内にしてください。
password-common = よく使われていて推測されやすいパスワードです。別のパスワードにしてください。
password-same-as-identity = ユーザー名やメールアドレスと同じパスワードは使えません。
password-mismatch = 2 つのパスワードが一致しません。
error-csrf = フォームの有効期限が切れました。もう一度お試しください。
error-internal = 問題が発生しました。しばらくしてからもう一度お試しください。
error-not-found = このページは存在しません。
error-rate-limited = 試行回数が多すぎます。しばらく待ってからもう一度お試しください。
error-busy = ただいま混み合っています。しばらくしてからもう一度お試しください。
