/* taxid: the entry point in the manner of git. 'taxid TOOL ARGS...' runs taxid-TOOL ARGS..., found beside this
 * executable first, then on PATH; 'taxid help' lists the tools, 'taxid help TOOL' opens its page. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 64
#define EXIT_UNAVAILABLE 69
#define MAX_TOOLS 64

static char self_dir[PATH_MAX]; /* the directory of this executable, "" if unknown */

static void usage(FILE *f)
{
	fprintf(f, "usage: taxid [-h | --help] [-V | --version] TOOL [ARGS...]\n"
		   "       taxid help [TOOL]\n"
		   "Run the taxid tool taxid-TOOL (found beside taxid, then on PATH) with ARGS.\n\n"
		   "  help          list the tools, one line each\n"
		   "  help TOOL     open the manual page taxid-TOOL(1)\n"
		   "  backup FILE, restore FILE, doctor, keys rotate\n"
		   "                the same as 'taxid db backup FILE' and so on\n"
		   "  -h, --help    this help\n"
		   "  -V, --version print the version\n\n"
		   "'taxid TOOL --help' describes a tool. See taxid(1) and taxid(7).\n");
}

/* A tool name is a word of lowercase letters, digits and inner dashes: never a path. */
static int tool_name_ok(const char *s)
{
	if (!*s || *s == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Find taxid-NAME beside this executable, then on PATH; write its path to buf. Returns 0 when found. */
static int find_tool(const char *name, char *buf, size_t n)
{
	int w;
	if (*self_dir) {
		w = snprintf(buf, n, "%s/taxid-%s", self_dir, name);
		if (w > 0 && (size_t)w < n && is_executable(buf))
			return 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		return -1;
	for (const char *p = path;; p++) {
		size_t len = strcspn(p, ":");
		w = snprintf(buf, n, "%.*s/taxid-%s", len ? (int)len : 1, len ? p : ".", name);
		if (w > 0 && (size_t)w < n && is_executable(buf))
			return 0;
		p += len;
		if (!*p)
			return -1;
	}
}

/* The first line after "usage:" of 'TOOL --help' is the tool's one-line purpose. */
static void purpose(const char *path, char *buf, size_t n)
{
	int fd[2];
	buf[0] = 0;
	if (pipe(fd))
		return;
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl(path, path, "--help", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	FILE *f = fdopen(fd[0], "r");
	char line[512];
	int i = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (i++ == 1) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, n, "%s", line);
		}
	}
	if (f)
		fclose(f);
	else
		close(fd[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the taxid-* executables of dir to names (without the prefix, no duplicates). */
static void scan_dir(const char *dir, char **names, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	if (!d)
		return;
	while ((e = readdir(d)) && *count < MAX_TOOLS) {
		const char *t = e->d_name;
		if (strncmp(t, "taxid-", 6) != 0 || !tool_name_ok(t + 6))
			continue;
		int w = snprintf(path, sizeof path, "%s/%s", dir, t);
		if (w < 0 || (size_t)w >= sizeof path || !is_executable(path))
			continue;
		int seen = 0;
		for (int i = 0; i < *count && !seen; i++)
			seen = strcmp(names[i], t + 6) == 0;
		if (!seen)
			names[(*count)++] = strdup(t + 6);
	}
	closedir(d);
}

static int list_tools(void)
{
	char *names[MAX_TOOLS];
	int count = 0;
	if (*self_dir)
		scan_dir(self_dir, names, &count);
	const char *path = getenv("PATH");
	char dir[PATH_MAX];
	for (const char *p = path; p && *p;) {
		size_t len = strcspn(p, ":");
		snprintf(dir, sizeof dir, "%.*s", len ? (int)len : 1, len ? p : ".");
		scan_dir(dir, names, &count);
		p += len + (p[len] == ':');
	}
	qsort(names, (size_t)count, sizeof *names, cmp_str);
	printf("The taxid tools ('taxid TOOL ...' runs taxid-TOOL; 'taxid help TOOL' opens its page):\n");
	for (int i = 0; i < count; i++) {
		char exe[PATH_MAX], line[512];
		if (find_tool(names[i], exe, sizeof exe) == 0)
			purpose(exe, line, sizeof line);
		else
			line[0] = 0;
		printf("  %-10s %s\n", names[i], line);
		free(names[i]);
	}
	if (count == 0)
		printf("  (none found beside taxid or on PATH)\n");
	return fflush(stdout) == EOF ? 74 : 0;
}

/* 'taxid help TOPIC': man taxid-TOPIC, or the page in a source tree beside this executable. */
static int open_page(const char *topic)
{
	char page[PATH_MAX], name[128];
	if (!tool_name_ok(topic)) {
		fprintf(stderr, "taxid: no manual page for '%s'\n", topic);
		return EXIT_USAGE;
	}
	snprintf(name, sizeof name, "taxid-%s", topic);
	static const char *const sections[] = {"1", "5", "7"};
	for (size_t i = 0; *self_dir && i < sizeof sections / sizeof *sections; i++) {
		int w = snprintf(page, sizeof page, "%s/../man/%s.%s", self_dir, name, sections[i]);
		if (w > 0 && (size_t)w < sizeof page && access(page, R_OK) == 0) {
			execlp("man", "man", "-l", page, (char *)NULL);
			fprintf(stderr, "taxid: cannot run 'man': %s\n", strerror(errno));
			return EXIT_UNAVAILABLE;
		}
	}
	execlp("man", "man", name, (char *)NULL);
	fprintf(stderr, "taxid: cannot run 'man': %s\n", strerror(errno));
	return EXIT_UNAVAILABLE;
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash && slash != exe) {
			*slash = 0;
			snprintf(self_dir, sizeof self_dir, "%s", exe);
		}
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return fflush(stdout) == EOF ? 74 : 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("taxid %s\nLicense: Apache-2.0\n", TAXID_VERSION);
		return fflush(stdout) == EOF ? 74 : 0;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc > 3) {
			fprintf(stderr, "taxid: help takes at most one tool\nTry 'taxid --help'.\n");
			return EXIT_USAGE;
		}
		return argc == 3 ? open_page(argv[2]) : list_tools();
	}
	/* issue 18: 'taxid backup FILE', 'taxid restore FILE', 'taxid doctor', 'taxid keys rotate' are
	 * 'taxid db ACTION ...' */
	if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0 || strcmp(cmd, "doctor") == 0 ||
	    strcmp(cmd, "keys") == 0) {
		if (find_tool("db", exe, sizeof exe) != 0) {
			fprintf(stderr, "taxid: '%s' needs taxid-db (none beside taxid or on PATH)\n", cmd);
			return EXIT_UNAVAILABLE;
		}
		char **args = calloc((size_t)argc + 2, sizeof *args);
		if (!args)
			return 70;
		static char name0[] = "taxid-db";
		args[0] = name0;
		for (int i = 1; i < argc; i++)
			args[i] = argv[i];
		execv(exe, args);
		fprintf(stderr, "taxid: cannot run '%s': %s\n", exe, strerror(errno));
		free(args);
		return errno == ENOENT || errno == EACCES ? EXIT_UNAVAILABLE : 70;
	}
	if (cmd[0] == '-') {
		fprintf(stderr, "taxid: unknown option '%s'\nTry 'taxid --help'.\n", cmd);
		return EXIT_USAGE;
	}
	if (!tool_name_ok(cmd) || find_tool(cmd, exe, sizeof exe) != 0) {
		fprintf(stderr, "taxid: '%s' is not a taxid tool (no taxid-%s beside taxid or on PATH)\n"
				"Try 'taxid help'.\n",
			cmd, cmd);
		return EXIT_USAGE;
	}
	char name[128];
	snprintf(name, sizeof name, "taxid-%s", cmd);
	argv[1] = name;
	execv(exe, argv + 1);
	fprintf(stderr, "taxid: cannot run '%s': %s\n", exe, strerror(errno));
	return errno == ENOENT || errno == EACCES ? EXIT_UNAVAILABLE : 70;
}
