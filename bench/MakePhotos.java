import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.SplittableRandom;

/**
 * Test photos for the photo pipeline's benchmark: photo.jpg (one face) scaled to 1, 3 and 12 megapixels (4:3,
 * bicubic), with Gaussian sensor-like noise (sigma 3 per channel) so that the JPEG carries a real photo's entropy
 * and costs what one costs to decode, saved at quality 92 (4:2:0, as cameras do).
 *
 * <pre>java bench/MakePhotos.java photo.jpg OUT_DIR</pre>
 */
public class MakePhotos {
    public static void main(String[] args) throws Exception {
        BufferedImage src = ImageIO.read(new File(args[0]));
        File out = new File(args[1]);
        out.mkdirs();
        int[][] sizes = {{1152, 864}, {2000, 1500}, {4000, 3000}};
        String[] names = {"photo-1mp.jpg", "photo-3mp.jpg", "photo-12mp.jpg"};
        for (int k = 0; k < sizes.length; k++) {
            int w = sizes[k][0], h = sizes[k][1];
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.setColor(new java.awt.Color(90, 100, 110));
            g.fillRect(0, 0, w, h);
            int side = h * 3 / 4; // the portrait fills three quarters of the height, left of centre
            g.drawImage(src, w / 5, h / 8, side, side, null);
            g.dispose();
            SplittableRandom r = new SplittableRandom(k);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = img.getRGB(x, y);
                    int rr = clamp(((p >> 16) & 255) + (int) Math.round(r.nextGaussian() * 3));
                    int gg = clamp(((p >> 8) & 255) + (int) Math.round(r.nextGaussian() * 3));
                    int bb = clamp((p & 255) + (int) Math.round(r.nextGaussian() * 3));
                    img.setRGB(x, y, (rr << 16) | (gg << 8) | bb);
                }
            }
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.92f);
            File f = new File(out, names[k]);
            f.delete();
            try (ImageOutputStream os = ImageIO.createImageOutputStream(f)) {
                writer.setOutput(os);
                writer.write(null, new IIOImage(img, null, null), p);
            }
            writer.dispose();
            System.out.printf("%s %dx%d %d bytes%n", f, w, h, f.length());
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
