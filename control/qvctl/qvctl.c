/* qwikvirt: qvctl, the operator CLI of qv-switchd: turns commands into JSON-RPC calls on the
 * switch's control socket (control/rpc/METHODS.md) and prints the results as tables. This
 * file: the options, the command table and main; qvctl.h lists the other files. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "control/qvctl/qvctl.h"

#define DEFAULT_TIMEOUT_MS 5000

struct qvctl_opt opt;

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {"show", cmd_show}, {"port", cmd_port},       {"flow", cmd_flow},   {"stats", cmd_stats},
    {"call", cmd_call}, {"capture", cmd_capture}, {"trace", cmd_trace}, {"apply", cmd_apply},
    {"vm", cmd_vm},     {"check", cmd_check},     {"vnf", cmd_vnf},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("QV_SWITCH_SOCK");
	int i = 1;

	opt.sock = env && *env ? env : DEFAULT_SOCKET;
	env = getenv("QV_CONTROLD_SOCK");
	opt.controld = env && *env ? env : "/run/qwikvirt/controld.sock";
	opt.timeout_ms = DEFAULT_TIMEOUT_MS;

	for (; i < argc && argv[i][0] == '-'; i++) {
		bool missing = false;
		const char *v;
		if (is_help(argv[i]))
			return print_help(find_help(NULL, NULL));
		if (strcmp(argv[i], "--json") == 0) {
			opt.json = true;
		} else if ((v = opt_value(argc, argv, &i, "--switch", &missing))) {
			if (*v == '\0')
				return usage_error("", "--switch needs a socket path");
			opt.sock = v;
		} else if (!missing && (v = opt_value(argc, argv, &i, "--controld", &missing))) {
			if (*v == '\0')
				return usage_error("", "--controld needs a socket path");
			opt.controld = v;
		} else if ((v = opt_value(argc, argv, &i, "--timeout", &missing))) {
			unsigned long ms;
			if (!parse_uint(v, 1, 3600 * 1000, &ms))
				return usage_error("",
				                   "--timeout '%s': expected milliseconds, "
				                   "1..3600000",
				                   v);
			opt.timeout_ms = (int)ms;
			opt.timeout_set = true;
		} else if (missing) {
			return usage_error("", "%s needs a value", argv[i]);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			return usage_error("", "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return usage_error("", "no command given");

	/* "qvctl help port add" is "qvctl port add --help". */
	bool help = false;
	if (strcmp(argv[i], "help") == 0) {
		help = true;
		i++;
		if (i >= argc)
			return print_help(find_help(NULL, NULL));
		if (strcmp(argv[i], "--all") == 0) /* every command's help: the man page */
			return print_all_help();
	}
	const struct command *cmd = find_command(argv[i]);
	if (cmd == NULL)
		return usage_error("", "unknown command '%s'", argv[i]);

	/* --help anywhere after the command wins; --json is also accepted there, since users
	 * tend to append it. Both are removed before the command sees its arguments. */
	int n = 0;
	char **args = calloc((size_t)argc, sizeof(*args));
	if (args == NULL)
		return EXIT_RPC;
	for (int j = i + 1; j < argc; j++) {
		if (is_help(argv[j]))
			help = true;
		else if (strcmp(argv[j], "--json") == 0)
			opt.json = true;
		else
			args[n++] = argv[j];
	}
	int rc;
	if (help)
		rc = print_help(find_help(cmd->name, n ? args[0] : NULL));
	else
		rc = cmd->fn(n, args);
	free(args);
	return rc;
}
