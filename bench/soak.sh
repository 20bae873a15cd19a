#!/usr/bin/env bash
# The soak and overload test of `dfd serve` (a dev command, not part of `mvn verify`): starts `./dfd serve` with its
# defaults (default model, -Xmx2g, a 1 GB memory budget) on 127.0.0.1:PORT, then `dfd loadtest --soak DURATION`
# with 30 DFDC test faces, photo.jpg and a 3000x2000 JPEG (made here), the per-second samples in target/soak.csv
# and the report in target/soak.txt. Exit status: the soak's (0 PASS, 1 FAIL).
# The server's 2 GB heap is committed and touched at start (-Xms2g -XX:+AlwaysPreTouch): otherwise RSS grows by up to
# 2 GB whenever G1 first touches more of its heap, which -Xmx bounds anyway, and the RSS check could not tell that from
# native memory growing. Set SOAK_JAVA_OPTS to run the server otherwise.
# Usage: bench/soak.sh [DURATION] [PORT]      (DURATION defaults to 10m)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10m}
port=${2:-8093}
images=target/soak-images
mkdir -p target "$images"
mapfile -t faces < <(find ../shared/data/dfdc-faces/test -name '*.jpg' | sort)
cp -f "${faces[@]:0:30}" photo.jpg "$images/"
if [ ! -f "$images/scene-3000x2000.jpg" ]; then
  # a 3000x2000 photo-sized JPEG: smooth colour fields with fine noise
  cat > target/MakeScene.java <<'JAVA'
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.Random;

public class MakeScene {
    public static void main(String[] a) throws Exception {
        BufferedImage img = new BufferedImage(3000, 2000, BufferedImage.TYPE_INT_RGB);
        Random rnd = new Random(7);
        for (int y = 0; y < 2000; y++) {
            for (int x = 0; x < 3000; x++) {
                int r = (int) (127 + 100 * Math.sin(x / 170.0) + rnd.nextInt(20));
                int g = (int) (127 + 100 * Math.cos(y / 130.0) + rnd.nextInt(20));
                int b = (int) (127 + 100 * Math.sin((x + y) / 300.0) + rnd.nextInt(20));
                img.setRGB(x, y, Math.min(255, r) << 16 | Math.min(255, g) << 8 | Math.min(255, b));
            }
        }
        javax.imageio.ImageIO.write(img, "jpg", new File(a[0]));
    }
}
JAVA
  java target/MakeScene.java "$images/scene-3000x2000.jpg"
fi
DFD_JAVA_OPTS="${SOAK_JAVA_OPTS:--Xms2g -Xmx2g -XX:+AlwaysPreTouch}" ./dfd serve --port "$port" > target/soak-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  sleep 1
done
set +e
./dfd loadtest --url "http://127.0.0.1:$port" --soak "$duration" --csv target/soak.csv "$images" | tee target/soak.txt
status=${PIPESTATUS[0]}
echo "server log: $(grep -c ' 500 internal' target/soak-server.log || true) lines with 500 internal"
exit "$status"
