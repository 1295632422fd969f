/* The taxid library: one header that includes every module's. */
#ifndef TAXID_H
#define TAXID_H

#include "errors.h"
#include "record.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "audit.h"
#include "verdict.h"
#include "challenge.h"
#include "ids.h"
#include "person.h"
#include "verify.h"
#include "survival.h"
#include "lockout.h"
#include "account.h"
#include "login.h"
#include "lockctl.h"
#include "register.h"
#include "fixture.h"
#include "enterprise.h"
#include "bind.h"
#include "dbmode.h"
#include "config.h"
#include "operator.h"
#include "backup.h"
#include "keyrot.h"

#endif
