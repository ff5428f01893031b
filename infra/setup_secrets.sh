#!/usr/bin/env bash
# Prepares a Google Cloud project for Flight Recorder: enables the APIs the
# deploy needs, creates the functions' and the dashboard's service accounts,
# stores the secrets in Secret Manager and lets each account read only its own.
# Safe to run again: it adds a new version of each secret and creates nothing
# twice.
#
# Usage: infra/setup_secrets.sh [--project ID] [--dry-run]
#
# The values are read from standard input, one a line, in this order (typed
# at silent prompts when standard input is a terminal); they are never taken
# as arguments and never printed:
#   GOOGLE_API_KEY           Gemini API key
#   MONGODB_URI              mongodb+srv://user:password@cluster/...
#   API_KEYS                 comma-separated keys the functions accept
#   FLIGHT_RECORDER_API_KEY  the key the dashboard sends, one of API_KEYS
set -euo pipefail

REQUIRED_APIS=(
  secretmanager.googleapis.com
  cloudfunctions.googleapis.com
  run.googleapis.com
  cloudbuild.googleapis.com
  artifactregistry.googleapis.com
  iam.googleapis.com
)

INFRA_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'EOF'
Usage: infra/setup_secrets.sh [--project ID] [--dry-run]

Enables the APIs, creates the service accounts and stores the secrets.
Reads GOOGLE_API_KEY, MONGODB_URI, API_KEYS and FLIGHT_RECORDER_API_KEY from
standard input, one a line (silent prompts on a terminal).

  --project ID   Google Cloud project (else GOOGLE_CLOUD_PROJECT, else gcloud config)
  --dry-run      print the commands that would change something (also DRY_RUN=1)
  -h, --help     show this help
EOF
}

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${INFRA_DIR}/lib.sh"

parse_options() {
  PROJECT_FLAG=""
  while (($#)); do
    case "$1" in
      --project) need_value "$@"; PROJECT_FLAG="$2"; shift 2 ;;
      --project=*) PROJECT_FLAG="${1#*=}"; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage_error "unknown argument: $1 (secret values are read from standard input)" ;;
    esac
  done
}

# Reads one value into SECRET_VALUES[$1]; $2 is the prompt.
read_value() {
  local value=""
  IFS= read -rs -p "$2: " value || [[ -n "$value" ]] ||
    die "no value for $1 on standard input"
  if [[ -t 0 ]]; then
    printf '\n' >&2
  fi
  value="${value%$'\r'}"
  [[ -n "$value" ]] || die "$1 is empty"
  SECRET_VALUES["$1"]="$value"
}

read_values() {
  declare -gA SECRET_VALUES=()
  read_value GOOGLE_API_KEY "Gemini API key (GOOGLE_API_KEY)"
  read_value MONGODB_URI "MongoDB connection string (MONGODB_URI)"
  read_value API_KEYS "Keys the functions accept, comma-separated (API_KEYS)"
  read_value FLIGHT_RECORDER_API_KEY \
    "Key the dashboard sends, one of API_KEYS (FLIGHT_RECORDER_API_KEY)"
}

# Messages name the variable at fault, never its value.
check_values() {
  [[ "${SECRET_VALUES[GOOGLE_API_KEY]}" =~ ^[^[:space:]]+$ ]] ||
    die "GOOGLE_API_KEY must not contain spaces"
  [[ "${SECRET_VALUES[MONGODB_URI]}" =~ ^mongodb(\+srv)?:// ]] ||
    die "MONGODB_URI must start with mongodb+srv:// or mongodb://"

  local keys=() key found=0
  IFS=, read -ra keys <<<"${SECRET_VALUES[API_KEYS]}"
  for key in "${keys[@]}"; do
    key="${key#"${key%%[![:space:]]*}"}"
    key="${key%"${key##*[![:space:]]}"}"
    [[ -n "$key" ]] || die "API_KEYS has an empty entry"
    if [[ "$key" == "${SECRET_VALUES[FLIGHT_RECORDER_API_KEY]}" ]]; then
      found=1
    fi
  done
  ((found)) || die "FLIGHT_RECORDER_API_KEY is not one of API_KEYS"
}

ensure_account() {
  local account_id="$1" display_name="$2"
  local email
  email="$(account_email "$account_id" "$PROJECT")"
  if exists gcloud iam service-accounts describe "$email" \
    --project="$PROJECT"; then
    note "service account ${email} exists"
    return 0
  fi
  run gcloud iam service-accounts create "$account_id" \
    --project="$PROJECT" \
    --display-name="$display_name"
}

# Creates the secret if needed, adds the value as its newest version and lets
# one service account read it.
store_secret() {
  local variable="$1" secret="$2" reader="$3"
  if ! exists gcloud secrets describe "$secret" --project="$PROJECT"; then
    run gcloud secrets create "$secret" \
      --project="$PROJECT" \
      --replication-policy=automatic \
      --labels="${RESOURCE_LABEL_KEY}=${RESOURCE_LABEL_VALUE}"
  fi
  run_with_secret "${SECRET_VALUES[$variable]}" \
    gcloud secrets versions add "$secret" \
    --project="$PROJECT" \
    --data-file=-
  run_retrying gcloud secrets add-iam-policy-binding "$secret" \
    --project="$PROJECT" \
    --member="serviceAccount:${reader}" \
    --role=roles/secretmanager.secretAccessor
}

main() {
  parse_options "$@"
  require_gcloud
  PROJECT="$(resolve_project "$PROJECT_FLAG")"
  read_values
  check_values

  run gcloud services enable "${REQUIRED_APIS[@]}" --project="$PROJECT"
  ensure_account "$FUNCTIONS_ACCOUNT_ID" "Flight Recorder functions"
  ensure_account "$DASHBOARD_ACCOUNT_ID" "Flight Recorder dashboard"

  local functions_account dashboard_account pair
  functions_account="$(account_email "$FUNCTIONS_ACCOUNT_ID" "$PROJECT")"
  dashboard_account="$(account_email "$DASHBOARD_ACCOUNT_ID" "$PROJECT")"
  for pair in "${FUNCTION_SECRETS[@]}"; do
    store_secret "${pair%%=*}" "${pair#*=}" "$functions_account"
  done
  for pair in "${DASHBOARD_SECRETS[@]}"; do
    store_secret "${pair%%=*}" "${pair#*=}" "$dashboard_account"
  done
  note "secrets stored in project ${PROJECT}"
}

main "$@"
