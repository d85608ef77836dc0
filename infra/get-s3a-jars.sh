#!/usr/bin/env bash
# Fetch the Hadoop S3A connector for Spark from the package registry (Maven is unreachable here).
# The source archive of sagemaker-pyspark 1.4.5 ships hadoop-aws 3.3.1 and the AWS SDK bundle it
# was built against. Both jars are checked against pinned SHA-256 digests before use.
# It is an older connector on a newer Hadoop: fine for tests and single-node use; a production
# cluster should use the connector that matches its Hadoop build.
set -euo pipefail
dest="${1:-.cache/jars}"
declare -A want=(
  [hadoop-aws-3.3.1.jar]=6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e
  [aws-java-sdk-bundle-1.11.901.jar]=b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead
)
ok=1
for jar in "${!want[@]}"; do
  [[ -f "$dest/$jar" ]] && echo "${want[$jar]}  $dest/$jar" | sha256sum -c --quiet - 2>/dev/null || ok=0
done
[[ $ok == 1 ]] && exit 0
mkdir -p "$dest"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: sagemaker-pyspark==1.4.5 -d "$tmp"
echo "05ca2d5081d7138ce29a8fb0a9cba077f28c825288ed07aed46a82e63c0bf1fb  $tmp/sagemaker_pyspark-1.4.5.tar.gz" | sha256sum -c --quiet -
for jar in "${!want[@]}"; do
  tar -xzf "$tmp/sagemaker_pyspark-1.4.5.tar.gz" -C "$tmp" "sagemaker_pyspark-1.4.5/deps/jars/$jar"
  echo "${want[$jar]}  $tmp/sagemaker_pyspark-1.4.5/deps/jars/$jar" | sha256sum -c --quiet -
  mv "$tmp/sagemaker_pyspark-1.4.5/deps/jars/$jar" "$dest/$jar"
done
echo "S3A connector jars in $dest"
