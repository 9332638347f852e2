#!/usr/bin/env bash
# A single-node Slurm cluster for trying sharded `redsim explore` runs, on a machine without
# systemd (a container, a CI runner). Debian's `slurm-wlm` and `munge` are installed with apt-get
# if missing; everything else lives in one directory: munge's key and socket, slurm.conf
# (accounting off, SlurmUser = SlurmdUser = root, no cgroups), state, logs, and the pids of the
# three daemons it starts by hand (munged, slurmctld, slurmd). `stop` ends exactly those pids.
#
#   scripts/slurm-single-node.sh start DIR   # prints the line to source: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-single-node.sh stop DIR
#
# Runs as root (slurmd launches the jobs). Nothing outside DIR is written besides the packages.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
}

# Waits up to 30 s for `$@` to succeed.
await() {
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

start() {
  if [ -e "$dir/pids" ]; then
    echo "error: $dir/pids exists: a cluster may be running there (stop it first)" >&2
    exit 2
  fi
  install
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  dir=$(cd "$dir" && pwd)
  chmod 700 "$dir/munge"
  : >"$dir/pids"

  # munge: its own key and socket, so a munged the machine may already run is left alone.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --foreground --force --key-file="$dir/munge/munge.key" \
    --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
    --seed-file="$dir/munge/munged.seed" --log-file="$dir/munge/munged.log" \
    >>"$dir/munge/munged.out" 2>&1 &
  echo "munged $!" >>"$dir/pids"
  await munge --socket="$dir/munge/munge.socket" --no-input ||
    { echo "error: munged did not start (see $dir/munge/munged.log)" >&2; stop; exit 1; }

  local host cpus
  host=$(hostname -s)
  cpus=$(nproc)
  cat >"$dir/slurm.conf" <<EOF
ClusterName=redsim
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" >>"$dir/slurmctld.out" 2>&1 &
  echo "slurmctld $!" >>"$dir/pids"
  slurmd -D -f "$SLURM_CONF" >>"$dir/slurmd.out" 2>&1 &
  echo "slurmd $!" >>"$dir/pids"
  # Ready when the node is idle (it registers a few seconds after slurmd starts).
  if ! await sh -c "sinfo -h -N -o %T | grep -qx idle"; then
    echo "error: the node did not become idle (see $dir/slurmctld.log, $dir/slurmd.log)" >&2
    sinfo -N >&2 || true
    stop
    exit 1
  fi
  echo "export SLURM_CONF=$SLURM_CONF"
}

stop() {
  [ -e "$dir/pids" ] || { echo "error: no $dir/pids: nothing started there" >&2; exit 2; }
  # Last started, first stopped; only the pids this script recorded.
  tac "$dir/pids" | while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
      echo "stopped $name ($pid)" >&2
    fi
  done
  rm -f "$dir/pids"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
