#!/usr/bin/env bash
# Removes what the other infra/ scripts created in one project and region:
# the functions (found by their app=flight-recorder label), the dashboard
# service, the secrets and both service accounts, and the local URL file.
# Leaves the enabled APIs and the project itself alone.
#
# Usage: infra/destroy.sh [--project ID] [--region REGION] [--yes] [--dry-run]
#
# Asks for the project id to be typed back before deleting anything, unless
# --yes is given. The MongoDB data is not touched.
set -euo pipefail

INFRA_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'EOF'
Usage: infra/destroy.sh [--project ID] [--region REGION] [--yes] [--dry-run]

Deletes the Flight Recorder functions, dashboard, secrets and service accounts.

  --project ID      Google Cloud project (else GOOGLE_CLOUD_PROJECT, else gcloud config)
  --region REGION   region, e.g. us-central1 (else GOOGLE_CLOUD_REGION, else gcloud config)
  --yes             delete without asking for the project id to be typed back
  --dry-run         print the commands that would delete something (also DRY_RUN=1)
  -h, --help        show this help
EOF
}

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${INFRA_DIR}/lib.sh"

parse_options() {
  PROJECT_FLAG=""
  REGION_FLAG=""
  ASSUME_YES=0
  while (($#)); do
    case "$1" in
      --project) need_value "$@"; PROJECT_FLAG="$2"; shift 2 ;;
      --project=*) PROJECT_FLAG="${1#*=}"; shift ;;
      --region) need_value "$@"; REGION_FLAG="$2"; shift 2 ;;
      --region=*) REGION_FLAG="${1#*=}"; shift ;;
      --yes) ASSUME_YES=1; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage_error "unknown argument: $1" ;;
    esac
  done
}

confirm() {
  if ((ASSUME_YES)) || is_dry_run; then
    return 0
  fi
  printf 'This deletes the Flight Recorder functions, dashboard, secrets and\n' >&2
  printf 'service accounts in project %s, region %s.\n' "$PROJECT" "$REGION" >&2
  printf 'Type the project id to confirm: ' >&2
  local answer=""
  IFS= read -r answer || true
  [[ "$answer" == "$PROJECT" ]] || die "not confirmed; nothing was deleted"
}

labelled_functions() {
  gcloud functions list --v2 \
    --project="$PROJECT" \
    --regions="$REGION" \
    --filter="labels.${RESOURCE_LABEL_KEY}=${RESOURCE_LABEL_VALUE}" \
    --format='value(name.basename())' </dev/null
}

# A failed listing stops the script rather than passing for "none found".
delete_functions() {
  local listing names=() name
  listing="$(labelled_functions)"
  mapfile -t names <<<"$listing"
  for name in "${names[@]}"; do
    [[ -n "$name" ]] || continue
    run gcloud functions delete "$name" \
      --project="$PROJECT" --region="$REGION" --quiet
  done
  if [[ -z "$listing" ]]; then
    note "no Flight Recorder functions in ${REGION}"
  fi
}

delete_dashboard() {
  if ! exists gcloud run services describe "$DASHBOARD_SERVICE" \
    --project="$PROJECT" --region="$REGION"; then
    note "dashboard service not found (or not visible); skipped"
    return 0
  fi
  run gcloud run services delete "$DASHBOARD_SERVICE" \
    --project="$PROJECT" --region="$REGION" --quiet
}

delete_secrets() {
  local pair secret
  for pair in "${FUNCTION_SECRETS[@]}" "${DASHBOARD_SECRETS[@]}"; do
    secret="${pair#*=}"
    if ! exists gcloud secrets describe "$secret" --project="$PROJECT"; then
      note "secret ${secret} not found (or not visible); skipped"
      continue
    fi
    run gcloud secrets delete "$secret" --project="$PROJECT" --quiet
  done
}

delete_accounts() {
  local account_id email
  for account_id in "$FUNCTIONS_ACCOUNT_ID" "$DASHBOARD_ACCOUNT_ID"; do
    email="$(account_email "$account_id" "$PROJECT")"
    if ! exists gcloud iam service-accounts describe "$email" \
      --project="$PROJECT"; then
      note "service account ${email} not found (or not visible); skipped"
      continue
    fi
    run gcloud iam service-accounts delete "$email" \
      --project="$PROJECT" --quiet
  done
}

main() {
  parse_options "$@"
  cd -- "$REPO_ROOT"
  require_gcloud
  PROJECT="$(resolve_project "$PROJECT_FLAG")"
  REGION="$(resolve_region "$REGION_FLAG")"
  confirm

  # Functions and dashboard go first: they hold references to the secrets
  # and run as the service accounts.
  delete_functions
  delete_dashboard
  delete_secrets
  delete_accounts
  run rm -f -- "$URLS_FILE_DEFAULT"
  note "done; container images built by the deploys stay in Artifact" \
    "Registry (see the README to remove them)"
}

main "$@"
