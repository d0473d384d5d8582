# SPDX-License-Identifier: MIT
# completion/gpup.bash: bash completion for gpup. Generated from the option tables
# of cli/args.c; tests/unit/test_cli_args.c checks it is current, and
# UPDATE_GOLDEN=1 make check rewrites it.

_gpup()
{
    local cur prev path w i skip=0 words
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
    -o|--output) COMPREPLY=($(compgen -W 'table json tsv' -- "$cur")); return ;;
    --gpus) COMPREPLY=($(compgen -W 'GpuP GpuDDA' -- "$cur")); return ;;
    --config|--client-secret-file|--certificate-file|--ssh-key-file)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    path=
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then skip=0; continue; fi
        case $w in
        --profile|--endpoint|--subscription|--config|--output|-o|--theme|--name|-n|--vm-name|--resource-group|-g|--custom-location|--query|--location|-l|--image|--vcpus|--memory-mb|--admin-username|--ssh-key-file|--gpus|--tenant|--client-id|--client-secret-file|--certificate-file) skip=1 ;;
        -*) ;;
        *) path="${path:+$path }$w" ;;
        esac
    done
    case $path in
    "") words='vm host ops config login' ;;
    "vm") words='list show start stop restart create gpu' ;;
    "vm list") words='--resource-group -g --custom-location --query' ;;
    "vm show") words='--name -n --resource-group -g' ;;
    "vm start") words='--name -n --resource-group -g --no-wait' ;;
    "vm stop") words='--name -n --resource-group -g --no-wait' ;;
    "vm restart") words='--name -n --resource-group -g --no-wait' ;;
    "vm create") words='--name -n --resource-group -g --custom-location --image --location -l --vcpus --memory-mb --admin-username --ssh-key-file --gpus --no-wait' ;;
    "vm gpu") words='attach detach list' ;;
    "vm gpu attach") words='--vm-name --resource-group -g --custom-location --gpus --no-restart' ;;
    "vm gpu detach") words='--vm-name --resource-group -g --custom-location --no-restart' ;;
    "vm gpu list") words='--resource-group -g' ;;
    "host") words='gpu' ;;
    "host gpu") words='list' ;;
    "host gpu list") words='' ;;
    "ops") words='list resume abandon' ;;
    "ops list") words='' ;;
    "ops resume") words='' ;;
    "ops abandon") words='' ;;
    "config") words='show check' ;;
    "config show") words='' ;;
    "config check") words='' ;;
    "login") words='--device-code --service-principal --use-az-cli --tenant --client-id --client-secret-file --certificate-file' ;;
    *) words= ;;
    esac
    words="$words --help -h --profile --endpoint --subscription --config --output -o --yes -y --dry-run --readonly --theme --mouse --demo --verbose -v"
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _gpup gpup
