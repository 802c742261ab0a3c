#!/usr/bin/env sh
# Writes an env file with fresh random secrets for every CHANGE_ME of deploy/compose.env.example:
#   sh deploy/new-env.sh > .env                      (docker compose, next to docker-compose.yml)
#   sh deploy/new-env.sh k8s > dingo-secrets.env     (kubectl create secret generic --from-env-file)
# The mirror refuses to start with a placeholder secret, so this (or your own vault) is the way in.
set -eu
here=$(dirname "$0")
random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
case "${1:-compose}" in
  compose) template="$here/compose.env.example" ;;
  k8s) template="$here/k8s/secret.template.yaml" ;;
  *) echo "usage: $0 [compose|k8s]" >&2; exit 2 ;;
esac
if [ "${1:-compose}" = k8s ]; then
  # stringData entries of the Secret template, as KEY=value lines.
  sed -n 's/^  \([A-Z_][A-Z0-9_]*\): \(.*\)$/\1=\2/p' "$template"
else
  grep -v '^\s*#' "$template" | grep .
fi | while IFS= read -r line; do
  while case "$line" in *CHANGE_ME*) true ;; *) false ;; esac; do
    # Replace the first CHANGE_ME... token (letters, digits, _) with a random value.
    token=$(printf '%s' "$line" | sed 's/.*\(CHANGE_ME[A-Za-z0-9_]*\).*/\1/')
    line=$(printf '%s' "$line" | sed "s/$token/$(random)/")
  done
  printf '%s\n' "$line"
done
