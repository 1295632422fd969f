/* regions.c: the tables identifiers are checked against — GB/T 2260 region codes (with their history) and
 * ISO 3166-1 countries (IDS.md); pure look-ups, no I/O. */
#include "ids.h"

#include <string.h>

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* ---- GB/T 2260 regions ---- */

static const struct taxid_region regions[] = {
#include "regions.inc"
};

#define NREGIONS (sizeof regions / sizeof regions[0])

static int is_code6(const char *s)
{
	for (int i = 0; i < 6; i++)
		if (!digit(s[i]))
			return 0;
	return 1;
}

/* Reads the first 6 characters only, so a pointer into a longer number works. */
const struct taxid_region *taxid_region_find(const char *code6)
{
	size_t lo = 0, hi = NREGIONS;

	if (!code6 || !is_code6(code6))
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(regions[mid].code, code6, 6);
		if (c == 0)
			return &regions[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t taxid_region_count(void)
{
	return NREGIONS;
}

const struct taxid_region *taxid_region_at(size_t i)
{
	return i < NREGIONS ? &regions[i] : NULL;
}

int taxid_region_province_ok(const char *two)
{
	int p;

	if (!two || !digit(two[0]) || !digit(two[1]))
		return 0;
	p = (two[0] - '0') * 10 + (two[1] - '0');
	return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
	       (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65);
}

/* ---- ISO 3166-1 ---- */

struct country {
	char numeric[4];
	char alpha3[4];
};

/* All 249 current ISO 3166-1 entries, sorted by numeric code (cross-checked with Debian iso-codes). */
static const struct country countries[] = {
	{ "004", "AFG" }, { "008", "ALB" }, { "010", "ATA" }, { "012", "DZA" }, { "016", "ASM" }, { "020", "AND" },
	{ "024", "AGO" }, { "028", "ATG" }, { "031", "AZE" }, { "032", "ARG" }, { "036", "AUS" }, { "040", "AUT" },
	{ "044", "BHS" }, { "048", "BHR" }, { "050", "BGD" }, { "051", "ARM" }, { "052", "BRB" }, { "056", "BEL" },
	{ "060", "BMU" }, { "064", "BTN" }, { "068", "BOL" }, { "070", "BIH" }, { "072", "BWA" }, { "074", "BVT" },
	{ "076", "BRA" }, { "084", "BLZ" }, { "086", "IOT" }, { "090", "SLB" }, { "092", "VGB" }, { "096", "BRN" },
	{ "100", "BGR" }, { "104", "MMR" }, { "108", "BDI" }, { "112", "BLR" }, { "116", "KHM" }, { "120", "CMR" },
	{ "124", "CAN" }, { "132", "CPV" }, { "136", "CYM" }, { "140", "CAF" }, { "144", "LKA" }, { "148", "TCD" },
	{ "152", "CHL" }, { "156", "CHN" }, { "158", "TWN" }, { "162", "CXR" }, { "166", "CCK" }, { "170", "COL" },
	{ "174", "COM" }, { "175", "MYT" }, { "178", "COG" }, { "180", "COD" }, { "184", "COK" }, { "188", "CRI" },
	{ "191", "HRV" }, { "192", "CUB" }, { "196", "CYP" }, { "203", "CZE" }, { "204", "BEN" }, { "208", "DNK" },
	{ "212", "DMA" }, { "214", "DOM" }, { "218", "ECU" }, { "222", "SLV" }, { "226", "GNQ" }, { "231", "ETH" },
	{ "232", "ERI" }, { "233", "EST" }, { "234", "FRO" }, { "238", "FLK" }, { "239", "SGS" }, { "242", "FJI" },
	{ "246", "FIN" }, { "248", "ALA" }, { "250", "FRA" }, { "254", "GUF" }, { "258", "PYF" }, { "260", "ATF" },
	{ "262", "DJI" }, { "266", "GAB" }, { "268", "GEO" }, { "270", "GMB" }, { "275", "PSE" }, { "276", "DEU" },
	{ "288", "GHA" }, { "292", "GIB" }, { "296", "KIR" }, { "300", "GRC" }, { "304", "GRL" }, { "308", "GRD" },
	{ "312", "GLP" }, { "316", "GUM" }, { "320", "GTM" }, { "324", "GIN" }, { "328", "GUY" }, { "332", "HTI" },
	{ "334", "HMD" }, { "336", "VAT" }, { "340", "HND" }, { "344", "HKG" }, { "348", "HUN" }, { "352", "ISL" },
	{ "356", "IND" }, { "360", "IDN" }, { "364", "IRN" }, { "368", "IRQ" }, { "372", "IRL" }, { "376", "ISR" },
	{ "380", "ITA" }, { "384", "CIV" }, { "388", "JAM" }, { "392", "JPN" }, { "398", "KAZ" }, { "400", "JOR" },
	{ "404", "KEN" }, { "408", "PRK" }, { "410", "KOR" }, { "414", "KWT" }, { "417", "KGZ" }, { "418", "LAO" },
	{ "422", "LBN" }, { "426", "LSO" }, { "428", "LVA" }, { "430", "LBR" }, { "434", "LBY" }, { "438", "LIE" },
	{ "440", "LTU" }, { "442", "LUX" }, { "446", "MAC" }, { "450", "MDG" }, { "454", "MWI" }, { "458", "MYS" },
	{ "462", "MDV" }, { "466", "MLI" }, { "470", "MLT" }, { "474", "MTQ" }, { "478", "MRT" }, { "480", "MUS" },
	{ "484", "MEX" }, { "492", "MCO" }, { "496", "MNG" }, { "498", "MDA" }, { "499", "MNE" }, { "500", "MSR" },
	{ "504", "MAR" }, { "508", "MOZ" }, { "512", "OMN" }, { "516", "NAM" }, { "520", "NRU" }, { "524", "NPL" },
	{ "528", "NLD" }, { "531", "CUW" }, { "533", "ABW" }, { "534", "SXM" }, { "535", "BES" }, { "540", "NCL" },
	{ "548", "VUT" }, { "554", "NZL" }, { "558", "NIC" }, { "562", "NER" }, { "566", "NGA" }, { "570", "NIU" },
	{ "574", "NFK" }, { "578", "NOR" }, { "580", "MNP" }, { "581", "UMI" }, { "583", "FSM" }, { "584", "MHL" },
	{ "585", "PLW" }, { "586", "PAK" }, { "591", "PAN" }, { "598", "PNG" }, { "600", "PRY" }, { "604", "PER" },
	{ "608", "PHL" }, { "612", "PCN" }, { "616", "POL" }, { "620", "PRT" }, { "624", "GNB" }, { "626", "TLS" },
	{ "630", "PRI" }, { "634", "QAT" }, { "638", "REU" }, { "642", "ROU" }, { "643", "RUS" }, { "646", "RWA" },
	{ "652", "BLM" }, { "654", "SHN" }, { "659", "KNA" }, { "660", "AIA" }, { "662", "LCA" }, { "663", "MAF" },
	{ "666", "SPM" }, { "670", "VCT" }, { "674", "SMR" }, { "678", "STP" }, { "682", "SAU" }, { "686", "SEN" },
	{ "688", "SRB" }, { "690", "SYC" }, { "694", "SLE" }, { "702", "SGP" }, { "703", "SVK" }, { "704", "VNM" },
	{ "705", "SVN" }, { "706", "SOM" }, { "710", "ZAF" }, { "716", "ZWE" }, { "724", "ESP" }, { "728", "SSD" },
	{ "729", "SDN" }, { "732", "ESH" }, { "740", "SUR" }, { "744", "SJM" }, { "748", "SWZ" }, { "752", "SWE" },
	{ "756", "CHE" }, { "760", "SYR" }, { "762", "TJK" }, { "764", "THA" }, { "768", "TGO" }, { "772", "TKL" },
	{ "776", "TON" }, { "780", "TTO" }, { "784", "ARE" }, { "788", "TUN" }, { "792", "TUR" }, { "795", "TKM" },
	{ "796", "TCA" }, { "798", "TUV" }, { "800", "UGA" }, { "804", "UKR" }, { "807", "MKD" }, { "818", "EGY" },
	{ "826", "GBR" }, { "831", "GGY" }, { "832", "JEY" }, { "833", "IMN" }, { "834", "TZA" }, { "840", "USA" },
	{ "850", "VIR" }, { "854", "BFA" }, { "858", "URY" }, { "860", "UZB" }, { "862", "VEN" }, { "876", "WLF" },
	{ "882", "WSM" }, { "887", "YEM" }, { "894", "ZMB" },
};

#define NCOUNTRIES (sizeof countries / sizeof countries[0])

const char *taxid_country_alpha3(const char *numeric3)
{
	size_t lo = 0, hi = NCOUNTRIES;

	if (!numeric3 || !digit(numeric3[0]) || !digit(numeric3[1]) || !digit(numeric3[2]))
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(countries[mid].numeric, numeric3, 3);
		if (c == 0)
			return countries[mid].alpha3;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int taxid_country_known_alpha3(const char *alpha3)
{
	if (!alpha3 || !upper(alpha3[0]) || !upper(alpha3[1]) || !upper(alpha3[2]))
		return 0;
	for (size_t i = 0; i < NCOUNTRIES; i++)
		if (memcmp(countries[i].alpha3, alpha3, 3) == 0)
			return 1;
	return 0;
}
