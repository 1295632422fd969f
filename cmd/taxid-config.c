/* taxid-config: read and change (get, the default, reads requests like every tool) the settings of a taxid database (taxid config get|set|list). */
#include "taxid.h"

static const struct taxid_action actions[] = {
	{"get", taxid_config_get, TAXID_ACT_DB_OPTIONAL, "key", "print one setting", NULL},
	{"set", taxid_config_set, TAXID_ACT_DB_WRITE, "key value operator [reason]",
	 "change a setting within its range (audited)", NULL},
	{"list", taxid_config_list, TAXID_ACT_DB_OPTIONAL | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "",
	 "list the known settings: value, default, range, whether set", NULL},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-config", "Read and change the settings of the taxid registry.", actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
