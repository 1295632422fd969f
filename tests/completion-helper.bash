# Shared by the completion tests (load helper first): the completion files, and functions that print what
# bash's _taxid and zsh's _taxid offer for a command line.

BASH_COMP="$TAXID_ROOT/completions/taxid.bash"
ZSH_COMP="$TAXID_ROOT/completions/_taxid"
FRAMEWORK=/usr/share/bash-completion/bash_completion
USE_FRAMEWORK=${USE_FRAMEWORK:-0}
export BASH_COMP ZSH_COMP FRAMEWORK USE_FRAMEWORK

# comp WORD...: the bash completion's candidates, one per line, for a command line whose last WORD is the
# one being completed (pass '' for a new word). Uses bash-completion's framework when $USE_FRAMEWORK is 1.
comp() {
	bash -c '
		if [ "$USE_FRAMEWORK" = 1 ]; then . "$FRAMEWORK" || exit 70; fi
		. "$BASH_COMP" || exit 70
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_taxid
		if [ "${#COMPREPLY[@]}" -gt 0 ]; then printf "%s\n" "${COMPREPLY[@]}"; fi
	' comp "$@"
}

# zcomp WORD...: run _taxid in zsh with the completion builtins replaced by functions that print what
# would be offered ("FILES" for _files, "MESSAGE:..." for _message).
zcomp() {
	zsh -f -c '
		fpath=("${ZSH_COMP:h}" $fpath)
		autoload -Uz _taxid
		compadd() {
			local -a a
			while (( $# )); do
				case $1 in
				-S|-P) shift 2 ;;
				-a) a+=("${(@P)2}"); shift 2 ;;
				--) shift; a+=("$@"); break ;;
				-*) shift ;;
				*) a+=("$1"); shift ;;
				esac
			done
			print -rl -- "${a[@]}"
		}
		_files() { print -r -- FILES }
		_message() { print -r -- MESSAGE }
		compset() { : }
		words=("$@")
		CURRENT=$#
		_taxid
	' zcomp "$@"
}
