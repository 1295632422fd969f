# bash completion for the taxid tools (taxid-verify, taxid-register, taxid-login, taxid-bind, taxid-lockout,
# taxid-survival, taxid-db, and a 'taxid TOOL ...' dispatcher).
#
# The candidates come from the tool itself: 'TOOL __complete WORD...' prints the possible next words, one per
# line, from the same tables that parse its command line, so this file cannot drift from the tools. Files are
# completed after -d/--db and as the FILE of taxid-db backup and restore; ndjson and csv after --input, the formats
# an action's help names after --format; nothing after --now, --tz, --jobs or another action option that takes a
# value.
# Works with or without the bash-completion package.

# _taxid_value_option TOOL WORD...: whether the last WORD is an action option that takes a value. The tool's
# own help for the action says so ("  --limit N  ..."), from the same table.
_taxid_value_option() {
	local tool=$1
	shift
	local opt=${!#}
	[[ $opt == --?* && $opt != *=* ]] || return 1
	"$tool" "${@:1:$#-1}" --help 2>/dev/null | grep -qE -- "^  $opt [A-Z][A-Z_]*( |\$)"
}

_taxid() {
	local -a words=() args=() cands=()
	local i w cur prev tool cmd join=0 pre c nospace=1

	# Rejoin what bash split at '=' and ':' (KEY=VALUE, KEY:=JSON, --db=FILE).
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((i > 0 && ${#words[@]} > 0)) && { [[ $w =~ ^[:=]+$ ]] || ((join)); }; then
			words[${#words[@]} - 1]+=$w
			[[ $w =~ ^[:=]+$ ]] && join=1 || join=0
		else
			words+=("$w")
			join=0
		fi
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && words+=("")
	cur=${words[${#words[@]} - 1]}
	prev=
	((${#words[@]} > 1)) && prev=${words[${#words[@]} - 2]}

	cmd=${words[0]}
	tool=$cmd
	args=("${words[@]:1:${#words[@]}-2}")
	if [[ ${cmd##*/} == taxid ]]; then
		# The dispatcher: 'taxid verify ...' completes as 'taxid-verify ...'.
		# 'taxid <TAB>': the tools (on PATH, and beside taxid when it is called by path) and its own words;
		# 'taxid help <TAB>': the tools.
		if ((${#words[@]} == 2)) || { ((${#words[@]} == 3)) && [[ ${words[1]} == help ]]; }; then
			while IFS= read -r c; do
				c=${c##*/}
				c=${c#taxid-}
				[[ $c == "$cur"* ]] && cands+=("$c")
			done < <({
				compgen -c taxid-
				[[ $cmd == */* ]] && compgen -f -- "${cmd%/*}/taxid-"
				if ((${#words[@]} == 2)); then printf '%s\n' help --help --version backup restore doctor keys; fi
			} | sort -u)
			COMPREPLY=("${cands[@]}")
			return 0
		fi
		[[ ${words[1]} == help || ${words[1]} == -* ]] && return 0
		tool=taxid-${words[1]}
		case ${words[1]} in
		backup | restore | doctor | keys) tool=taxid-db ;; # 'taxid backup FILE' is 'taxid db backup FILE'
		*) args=("${args[@]:1}") ;;
		esac
		[[ $cmd == */* && -x ${cmd%/*}/$tool ]] && tool=${cmd%/*}/$tool
	fi

	# Values.
	case $prev in
	-d | --db)
		if declare -F _filedir >/dev/null; then
			_filedir
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return 0
		;;
	--now | --tz | -j | --jobs)
		COMPREPLY=()
		return 0
		;;
	--input)
		mapfile -t COMPREPLY < <(compgen -W 'ndjson csv' -- "$cur")
		return 0
		;;
	--format)
		# the formats the action's help names (csv, json, and html for taxid-survival report)
		mapfile -t COMPREPLY < <(compgen -W "$("$tool" "${args[@]:0:${#args[@]}-1}" --help 2>/dev/null |
			grep -E -- '^  --format ' | grep -oE 'json|csv|html' | sort -u | tr '\n' ' ')" -- "$cur")
		return 0
		;;
	esac
	if [[ $cur == --db=* ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t cands < <(compgen -f -- "${cur#--db=}")
		if [[ $COMP_WORDBREAKS == *=* ]]; then
			COMPREPLY=("${cands[@]}")
		else
			COMPREPLY=("${cands[@]/#/--db=}")
		fi
		return 0
	fi
	if [[ $cur == *=* && $cur != -* ]] || { ((${#args[@]})) && _taxid_value_option "$tool" "${args[@]}"; }; then
		COMPREPLY=() # a request member's value, or an action option's: free text
		return 0
	fi

	# The tool's candidates; the values of the common options are not words of the command.
	local -a clean=()
	for ((i = 0; i < ${#args[@]}; i++)); do
		case ${args[i]} in
		-d | --db | --now | --tz | --input | -j | --jobs) ((i++)) ;;
		--db=* | --now=* | --tz=* | --input=* | --jobs=*) ;;
		*) clean+=("${args[i]}") ;;
		esac
	done
	# taxid-db backup FILE, restore FILE: files too, for the bare first operand
	if [[ ${tool##*/} == taxid-db && ${#clean[@]} == 1 && ${clean[0]} =~ ^(backup|restore)$ && $cur != -* ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t cands < <(compgen -f -- "$cur")
	fi
	while IFS= read -r c; do
		[[ -n $c && $c == "$cur"* ]] || continue
		cands+=("$c")
		[[ $c == *= ]] || nospace=0
	done < <("$tool" __complete "${clean[@]}" 2>/dev/null)
	# Bash replaces only the text after the last '=' or ':' of the word.
	pre=${cur%"${cur##*[=:]}"}
	if [[ -n $pre && $COMP_WORDBREAKS == *"${pre: -1}"* ]]; then
		cands=("${cands[@]#"$pre"}")
	fi
	COMPREPLY=("${cands[@]}")
	if ((${#cands[@]} && nospace)); then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _taxid taxid taxid-verify taxid-register taxid-login taxid-bind taxid-lockout taxid-survival taxid-db taxid-config
