#!/usr/bin/env bash
# Deploys every Flight Recorder HTTP function from functions/ as a Cloud Run
# function (2nd gen), then writes their URLs to infra/.function-urls.env for
# deploy_dashboard.sh. Run infra/setup_secrets.sh once before the first deploy.
#
# Usage: infra/deploy_functions.sh [--project ID] [--region REGION] [--public]
#                                  [--vpc-connector NAME] [--dry-run]
#
# Project and region come from the flags, else GOOGLE_CLOUD_PROJECT and
# GOOGLE_CLOUD_REGION, else the active gcloud configuration. Functions accept
# only callers with an identity token unless --public is given. With
# --vpc-connector, all their outbound traffic leaves through that Serverless
# VPC Access connector, so a Cloud NAT behind it can give them one fixed IP
# address to allow in the Atlas access list (README, "Deploying to Google Cloud"). The function
# settings API_ENV, LOG_LEVEL and USE_MOCK_LLM default to production values;
# they, GEMINI_MODEL_NAME, MONGODB_DB_NAME, MAX_RPM, MAX_RPD and
# MONGODB_MAX_POOL_SIZE are taken from the environment when set, and so are
# FUNCTIONS_RUNTIME, FUNCTIONS_MAX_INSTANCES and ATLAS_CONNECTION_LIMIT, which
# override the sizing below.
set -euo pipefail

# Deployed name:Python entry point in functions/main.py, one function a line.
FUNCTIONS=(
  "chat:chat"
  "traces:traces"
  "trace-detail:trace_detail"
  "health:health"
  "metrics:metrics"
  "replay:replay"
  "export:export"
)

# Sizing for this workload: each request spends most of its time waiting on
# Gemini or MongoDB, so one instance serves several at once on threads.
# Concurrency above 1 needs a whole vCPU, and 512Mi is the least memory Cloud
# Run allows with one vCPU; the functions hold little beyond their clients.
RUNTIME="${FUNCTIONS_RUNTIME:-python312}"
MEMORY="512Mi"
CPU="1"
# The Python functions framework runs one gunicorn worker process (WORKERS)
# with THREADS threads, default four per CPU. THREADS is set to the
# concurrency so every request Cloud Run routes to an instance gets a thread
# at once instead of queueing behind a busy one; a single worker keeps one
# MongoDB connection pool per instance.
CONCURRENCY=8
THREADS="$CONCURRENCY"
WORKERS=1
# A chat request may wait on two Gemini attempts of up to 30 s each (the
# functions' GEMINI_MAX_ATTEMPTS and GEMINI_TIMEOUT_SECONDS defaults); two
# minutes covers them and the store writes, and still frees a stuck thread.
TIMEOUT="120s"
# Zero minimum instances: nothing runs, and nothing is billed, while idle.
MIN_INSTANCES=0
MAX_INSTANCES="${FUNCTIONS_MAX_INSTANCES:-5}"
# One pooled connection per thread is all a thread can use at once.
MONGODB_MAX_POOL_SIZE="${MONGODB_MAX_POOL_SIZE:-$THREADS}"
# Atlas caps open connections per node: 500 on M0 and Flex, 1500 on M10,
# 3000 on M20 and M30. The primary takes every pooled connection, plus two
# monitoring connections from each client, so at full scale it holds
#   functions x max instances x (pool size + 2)
# which must stay under the limit: 7 x 5 x (8 + 2) = 350 with the defaults.
ATLAS_CONNECTION_LIMIT="${ATLAS_CONNECTION_LIMIT:-500}"
MONITORING_CONNECTIONS=2

INFRA_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'EOF'
Usage: infra/deploy_functions.sh [--project ID] [--region REGION] [--public]
                                 [--vpc-connector NAME] [--dry-run]

Deploys the Flight Recorder functions and writes their URLs to
infra/.function-urls.env.

  --project ID      Google Cloud project (else GOOGLE_CLOUD_PROJECT, else gcloud config)
  --region REGION   region, e.g. us-central1 (else GOOGLE_CLOUD_REGION, else gcloud config)
  --public          allow unauthenticated calls (the X-API-Key check still applies)
  --vpc-connector NAME
                    send all outbound traffic through this VPC connector
  --dry-run         print the commands that would change something (also DRY_RUN=1)
  -h, --help        show this help
EOF
}

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${INFRA_DIR}/lib.sh"

parse_options() {
  PROJECT_FLAG=""
  REGION_FLAG=""
  PUBLIC=0
  VPC_CONNECTOR=""
  while (($#)); do
    case "$1" in
      --project) need_value "$@"; PROJECT_FLAG="$2"; shift 2 ;;
      --project=*) PROJECT_FLAG="${1#*=}"; shift ;;
      --region) need_value "$@"; REGION_FLAG="$2"; shift 2 ;;
      --region=*) REGION_FLAG="${1#*=}"; shift ;;
      --public) PUBLIC=1; shift ;;
      --vpc-connector) need_value "$@"; VPC_CONNECTOR="$2"; shift 2 ;;
      --vpc-connector=*) VPC_CONNECTOR="${1#*=}"; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage_error "unknown argument: $1" ;;
    esac
  done
}

check_numbers() {
  local name
  for name in MAX_INSTANCES MONGODB_MAX_POOL_SIZE ATLAS_CONNECTION_LIMIT; do
    if [[ ! "${!name}" =~ ^[1-9][0-9]*$ ]]; then
      die "${name} must be a positive whole number, got '${!name}'"
    fi
  done
}

check_connection_budget() {
  local per_instance=$((MONGODB_MAX_POOL_SIZE + MONITORING_CONNECTIONS))
  local total=$((${#FUNCTIONS[@]} * MAX_INSTANCES * per_instance))

  if ((total >= ATLAS_CONNECTION_LIMIT)); then
    die "${#FUNCTIONS[@]} functions x ${MAX_INSTANCES} max instances x" \
      "(pool ${MONGODB_MAX_POOL_SIZE} + ${MONITORING_CONNECTIONS} monitoring)" \
      "= ${total} connections, not under the Atlas limit of" \
      "${ATLAS_CONNECTION_LIMIT}; lower FUNCTIONS_MAX_INSTANCES or" \
      "MONGODB_MAX_POOL_SIZE, or set ATLAS_CONNECTION_LIMIT for a larger tier"
  fi
}

# The source must define every entry point, and must not upload a local .env
# (it may hold real keys) unless functions/.gcloudignore leaves it out.
check_source() {
  [[ -f functions/main.py && -f functions/requirements.txt ]] ||
    die "functions/main.py and functions/requirements.txt must exist"

  local entry
  for entry in "${FUNCTIONS[@]}"; do
    grep -qw -- "${entry#*:}" functions/main.py ||
      die "functions/main.py has no entry point named ${entry#*:}"
  done

  if [[ -e functions/.env ]] &&
    ! grep -qs '^\.env' functions/.gcloudignore; then
    die "functions/.env would be uploaded; list .env in functions/.gcloudignore"
  fi
}

# Skipped in a dry run, which may come before setup_secrets.sh has run.
check_accounts() {
  local email
  for email in "$FUNCTIONS_ACCOUNT" "$DASHBOARD_ACCOUNT"; do
    if ! is_dry_run && ! exists gcloud iam service-accounts describe \
      "$email" --project="$PROJECT"; then
      die "service account ${email} not found; run infra/setup_secrets.sh first"
    fi
  done
}

# Non-secret settings, as the value of --set-env-vars.
env_vars() {
  local pairs=(
    "API_ENV=${API_ENV:-production}"
    "LOG_LEVEL=${LOG_LEVEL:-INFO}"
    "USE_MOCK_LLM=${USE_MOCK_LLM:-False}"
    "MONGODB_MAX_POOL_SIZE=${MONGODB_MAX_POOL_SIZE}"
    "THREADS=${THREADS}"
    "WORKERS=${WORKERS}"
  )
  local name
  for name in GEMINI_MODEL_NAME MONGODB_DB_NAME MAX_RPM MAX_RPD; do
    if [[ -n "${!name:-}" ]]; then
      pairs+=("${name}=${!name}")
    fi
  done

  local pair
  for pair in "${pairs[@]}"; do
    [[ "$pair" != *,* ]] || die "${pair%%=*} must not contain a comma"
  done
  local IFS=,
  printf '%s' "${pairs[*]}"
}

deploy_function() {
  local name="$1" entry_point="$2" access="--no-allow-unauthenticated"
  if ((PUBLIC)); then
    access="--allow-unauthenticated"
  fi
  local network=()
  if [[ -n "$VPC_CONNECTOR" ]]; then
    network=(--vpc-connector="$VPC_CONNECTOR" --egress-settings=all)
  fi

  run gcloud functions deploy "$name" \
    --gen2 \
    --project="$PROJECT" \
    --region="$REGION" \
    --runtime="$RUNTIME" \
    --source=functions \
    --entry-point="$entry_point" \
    --trigger-http \
    "$access" \
    --service-account="$FUNCTIONS_ACCOUNT" \
    --memory="$MEMORY" \
    --cpu="$CPU" \
    --concurrency="$CONCURRENCY" \
    --timeout="$TIMEOUT" \
    --min-instances="$MIN_INSTANCES" \
    --max-instances="$MAX_INSTANCES" \
    --set-env-vars="$ENV_VARS" \
    --set-secrets="$(secret_refs "${FUNCTION_SECRETS[@]}")" \
    --update-labels="${RESOURCE_LABEL_KEY}=${RESOURCE_LABEL_VALUE}" \
    "${network[@]}" \
    --quiet

  # Cloud Run's check then admits a caller presenting an identity token of the
  # dashboard's service account.
  run_retrying gcloud functions add-invoker-policy-binding "$name" \
    --project="$PROJECT" \
    --region="$REGION" \
    --member="serviceAccount:${DASHBOARD_ACCOUNT}"
}

url_variable() {
  local upper="${1^^}"
  printf 'FLIGHT_RECORDER_%s_URL' "${upper//-/_}"
}

function_url() {
  gcloud functions describe "$1" --v2 \
    --project="$PROJECT" \
    --region="$REGION" \
    --format='value(serviceConfig.uri)' </dev/null
}

write_urls() {
  local lines=() entry name url
  for entry in "${FUNCTIONS[@]}"; do
    name="${entry%%:*}"
    if is_dry_run; then
      show_command gcloud functions describe "$name" --v2 \
        --project="$PROJECT" --region="$REGION" \
        --format='value(serviceConfig.uri)'
      continue
    fi
    url="$(function_url "$name")"
    [[ "$url" == https://* ]] || die "no URL reported for function ${name}"
    lines+=("$(url_variable "$name")=${url}")
  done

  if is_dry_run; then
    note "dry run: ${URLS_FILE_DEFAULT} not written"
    return 0
  fi
  printf '%s\n' "${lines[@]}" >"${URLS_FILE_DEFAULT}.tmp"
  mv -- "${URLS_FILE_DEFAULT}.tmp" "$URLS_FILE_DEFAULT"
  note "function URLs written to ${URLS_FILE_DEFAULT}:"
  printf '%s\n' "${lines[@]}"
}

main() {
  parse_options "$@"
  cd -- "$REPO_ROOT"
  require_gcloud
  PROJECT="$(resolve_project "$PROJECT_FLAG")"
  REGION="$(resolve_region "$REGION_FLAG")"
  FUNCTIONS_ACCOUNT="$(account_email "$FUNCTIONS_ACCOUNT_ID" "$PROJECT")"
  DASHBOARD_ACCOUNT="$(account_email "$DASHBOARD_ACCOUNT_ID" "$PROJECT")"

  check_numbers
  check_connection_budget
  check_source
  check_accounts
  ENV_VARS="$(env_vars)"

  local entry
  for entry in "${FUNCTIONS[@]}"; do
    note "deploying ${entry%%:*} to ${PROJECT}/${REGION}"
    deploy_function "${entry%%:*}" "${entry#*:}"
  done
  write_urls
}

main "$@"
