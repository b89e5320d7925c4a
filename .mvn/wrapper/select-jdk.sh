# shellcheck shell=bash
# ----------------------------------------------------------------------------
# JDK selection shared by ./mvnw and ./dynamo-stream (sourced, not run).
#
# Before sourcing: MVNW_MIN_JAVA (lowest Java feature version), optionally
# MVNW_TOOL (name in messages, default mvnw) and MVNW_NEED_JAVAC (false: a JRE
# is enough). mvnw_select_jdk then picks, in this order:
#   - JAVA_HOME, if set and good;
#   - else the `java` on PATH, if good;
#   - else the newest good JDK under /usr/lib/jvm (and a few other usual
#     places, or the directories of $MVNW_JDK_DIRS, colon-separated, instead);
#     JAVA_HOME is exported and one line is printed to stderr.
# It sets MVNW_JAVA_HOME, MVNW_JAVA_MAJOR and MVNW_JAVA_WHY (why this one) to
# what it picked (MVNW_ANNOUNCE=false: no line on stderr), or exits 1 with a
# message saying what it found and what to install.
# ----------------------------------------------------------------------------

# Prints the Java feature version (e.g. 17, 21, 25; 8 for 1.8) of the JDK or
# JRE home $1, or nothing if it cannot be told.
mvnw_java_major() {
  local home="$1" v=""
  [ -x "$home/bin/java" ] || return 0
  if [ -f "$home/release" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}.*/\1/p' "$home/release" | head -n 1)"
  fi
  if [ -z "$v" ]; then
    v="$("$home/bin/java" -version 2>&1 </dev/null \
      | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  fi
  [ -n "$v" ] || return 0
  case "$v" in
    1.*) v="${v#1.}" ;;
  esac
  v="${v%%[!0-9]*}"
  printf '%s\n' "$v"
}

# Is $1 a JDK (java + javac; java alone with MVNW_NEED_JAVAC=false) of version >= MVNW_MIN_JAVA?
mvnw_is_good_jdk() {
  local home="$1" major
  [ -n "$home" ] && [ -x "$home/bin/java" ] || return 1
  [ "${MVNW_NEED_JAVAC:-true}" = "false" ] || [ -x "$home/bin/javac" ] || return 1
  major="$(mvnw_java_major "$home")"
  [ -n "$major" ] && [ "$major" -ge "$MVNW_MIN_JAVA" ]
}

mvnw_select_jdk() {
  local why default_java="" default_home="" default_major="" cand major
  local best="" best_major=0

  if [ -n "${JAVA_HOME:-}" ]; then
    if mvnw_is_good_jdk "$JAVA_HOME"; then
      mvnw_log "using JAVA_HOME=$JAVA_HOME"
      MVNW_JAVA_HOME="$JAVA_HOME"
      MVNW_JAVA_WHY="JAVA_HOME"
      MVNW_JAVA_MAJOR="$(mvnw_java_major "$JAVA_HOME")"
      return 0
    fi
    major="$(mvnw_java_major "$JAVA_HOME")"
    if [ ! -x "$JAVA_HOME/bin/javac" ] && [ -n "$major" ] && [ "$major" -ge "$MVNW_MIN_JAVA" ]; then
      why="JAVA_HOME=$JAVA_HOME is a JRE, not a JDK"
    else
      why="JAVA_HOME=$JAVA_HOME is Java ${major:-unknown}, need >= $MVNW_MIN_JAVA"
    fi
  else
    default_java="$(command -v java 2>/dev/null || true)"
    if [ -n "$default_java" ]; then
      default_home="$(readlink -f "$default_java" 2>/dev/null || printf '%s' "$default_java")"
      default_home="$(dirname "$(dirname "$default_home")")"
      default_major="$(mvnw_java_major "$default_home")"
      if mvnw_is_good_jdk "$default_home"; then
        mvnw_log "using default java at $default_home (Java $default_major)"
        MVNW_JAVA_HOME="$default_home"
        MVNW_JAVA_WHY="the java on PATH"
        MVNW_JAVA_MAJOR="$default_major"
        return 0
      fi
      why="JAVA_HOME unset, default java is ${default_major:-unknown}"
      if [ -n "$default_major" ] && [ "$default_major" -ge "$MVNW_MIN_JAVA" ]; then
        why="JAVA_HOME unset, default java $default_home is a JRE, not a JDK"
      fi
    else
      why="JAVA_HOME unset, no java on PATH"
    fi
  fi

  local -a cands=()
  if [ -n "${MVNW_JDK_DIRS:-}" ]; then
    local dir
    local -a dirs
    IFS=: read -r -a dirs <<<"$MVNW_JDK_DIRS"
    for dir in "${dirs[@]}"; do
      [ -n "$dir" ] && cands+=("$dir"/*)
    done
  else
    cands=(/usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /usr/local/java/*
           "${HOME:-/nonexistent}"/.sdkman/candidates/java/*
           /Library/Java/JavaVirtualMachines/*/Contents/Home)
  fi
  for cand in "${cands[@]}"; do
    [ -d "$cand" ] || continue
    [ -L "$cand" ] && continue          # skip aliases such as java-1.17.0-openjdk-amd64
    mvnw_is_good_jdk "$cand" || continue
    major="$(mvnw_java_major "$cand")"
    if [ "$major" -gt "$best_major" ]; then
      best="$cand"
      best_major="$major"
    fi
  done

  if [ -z "$best" ]; then
    printf '%s: error: no JDK >= %s found (%s; nothing suitable under %s). %s\n' "${MVNW_TOOL:-mvnw}" \
      "$MVNW_MIN_JAVA" "$why" "${MVNW_JDK_DIRS:-/usr/lib/jvm}" \
      "Install a JDK $MVNW_MIN_JAVA or newer and set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME="$best"
  MVNW_JAVA_HOME="$best"
  MVNW_JAVA_MAJOR="$best_major"
  MVNW_JAVA_WHY="$why"
  if [ "${MVNW_ANNOUNCE:-true}" = "true" ]; then
    printf '%s: using JDK %s at %s (%s)\n' "${MVNW_TOOL:-mvnw}" "$best_major" "$best" "$why" >&2
  fi
}
