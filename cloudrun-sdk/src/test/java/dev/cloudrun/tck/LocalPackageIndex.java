package dev.cloudrun.tck;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A PEP 503 "simple" package index on loopback serving one tiny pure-Python wheel built here, so
 * that Python installs can be tested without PyPI. Records every request path.
 */
public final class LocalPackageIndex implements AutoCloseable {
    private final HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final String project;
    private final byte[] wheel;
    private final String wheelName;

    /**
     * Serves a wheel of project {@code project} whose module {@code module} has a function
     * {@code hello()} returning {@code greeting}.
     *
     * @param host the address to listen on
     * @param project the distribution name, e.g. {@code cloudrun-demo}
     * @param module the importable module, e.g. {@code cloudrun_demo}
     * @param greeting what {@code hello()} returns
     * @throws IOException if the server cannot start
     */
    public LocalPackageIndex(InetAddress host, String project, String module, String greeting) throws IOException {
        this.project = project;
        String distribution = project.replace('-', '_');
        this.wheelName = distribution + "-1.0-py3-none-any.whl";
        this.wheel = buildWheel(distribution, module, "def hello():\n    return " + pythonString(greeting) + "\n");
        this.server = HttpServer.create(new InetSocketAddress(host, 0), 16);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.add(path);
            byte[] body;
            String type;
            if (path.equals("/simple/" + project + "/")) {
                body = ("<!DOCTYPE html><html><body><a href=\"/files/" + wheelName + "#sha256=" + sha256Hex(wheel) + "\">"
                        + wheelName + "</a></body></html>").getBytes(StandardCharsets.UTF_8);
                type = "text/html";
            } else if (path.equals("/files/" + wheelName)) {
                body = wheel;
                type = "application/octet-stream";
            } else {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** @return the index URL to give pip, e.g. {@code http://127.0.0.1:PORT/simple} */
    public String url() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/simple";
    }

    /** @return the port */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return how many times the wheel was downloaded */
    public long downloads() {
        return requests.stream().filter(path -> path.endsWith(".whl")).count();
    }

    /** @return the project the index serves */
    public String project() {
        return project;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static byte[] buildWheel(String distribution, String module, String code) throws IOException {
        String distInfo = distribution + "-1.0.dist-info/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(module + "/__init__.py", code.getBytes(StandardCharsets.UTF_8));
        files.put(distInfo + "METADATA", ("Metadata-Version: 2.1\nName: " + distribution + "\nVersion: 1.0\n")
                .getBytes(StandardCharsets.UTF_8));
        files.put(distInfo + "WHEEL", "Wheel-Version: 1.0\nGenerator: cloudrun-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .getBytes(StandardCharsets.UTF_8));
        StringBuilder record = new StringBuilder();
        files.forEach((name, content) -> record.append(name).append(",sha256=")
                .append(Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(content)))
                .append(',').append(content.length).append('\n'));
        record.append(distInfo).append("RECORD,,\n");
        files.put(distInfo + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(file.getKey()));
                zip.write(file.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String pythonString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(byte[] content) {
        return HexFormat.of().formatHex(sha256(content));
    }
}
