/* taxid-login: password login, second factor, sessions, password change and reset, login-name change, QR login. */
#include "taxid.h"

enum { W = TAXID_ACT_DB_WRITE };

static const struct taxid_action actions[] = {
	{"password", taxid_login_password, W | TAXID_ACT_OWN_TX, "account password [captcha] [second_factor]",
	 "first step: account (login name, phone or resident-ID number) and password", NULL},
	{"2fa", taxid_login_2fa, W, "login_tx sms|face", "second step: SMS code or face verdict; gives a session", NULL},
	{"passwd", taxid_login_passwd, W, "session password new_password | change_tx new_password [sms|face]",
	 "change the password (the only step an initial password allows)", NULL},
	{"reset", taxid_login_reset, W, "account method [sms] [face] [bank bank_phone] [new_password]",
	 "forgotten password: verify identity by SMS, face or bank card, then set a new one", NULL},
	{"initial", taxid_login_initial, W, "account operator",
	 "hall reset: a random initial password sent to the bound phone", NULL},
	{"rename", taxid_login_rename, W, "session password new_login_name", "change the login name (once a year)", NULL},
	{"session check", taxid_login_session_check, W, "token", "check a session and refresh its idle time", NULL},
	{"session logout", taxid_login_logout, W, "token", "end a session", NULL},
	{"session revoke-all", taxid_login_revoke_all, W, "token", "end every session of the account", NULL},
	{"qr issue", taxid_login_qr_issue, W | TAXID_ACT_NO_INPUT, "", "a short-lived QR nonce for a client to show", NULL},
	{"qr confirm", taxid_login_qr_confirm, W, "session qr", "a logged-in app confirms a QR nonce", NULL},
	{"qr poll", taxid_login_qr_poll, W, "qr", "the client polls; once confirmed it receives its own session", NULL},
	{"licence", taxid_login_licence, W, "tin doc_type doc_no licence",
	 "electronic business licence login: an enterprise session from a signed business_licence verdict", NULL},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-login", "Log natural persons in: password, second factor, sessions.",
				       actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
