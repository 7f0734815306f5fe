# bash completion for neptune-cli (installed into
# share/bash-completion/completions). The candidates come from neptune-cli
# itself (--complete): the command grammar, and the names of ports,
# uplinks, policies and the features' objects from the running instance.
_neptune_cli() {
	local cur prev words cword
	_init_completion || return
	local i sock=() cmd=()
	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		-s | --socket)
			sock=(-s "${words[i + 1]}")
			((i++))
			;;
		--socket=*) sock=("${words[i]}") ;;
		*) cmd+=("${words[i]}") ;;
		esac
	done
	case "$prev" in
	-s | --socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	if [ ${#cmd[@]} -eq 0 ] && [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "-s --socket --json --help" -- "$cur"))
		return
	fi
	local IFS=$'\n'
	COMPREPLY=($(neptune-cli "${sock[@]}" --complete "${cmd[@]}" "$cur" 2>/dev/null))
}
complete -F _neptune_cli neptune-cli
