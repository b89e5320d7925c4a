package io.dynamostream.aws;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal HTTP/1.1 server on a free loopback port, for the Streams client's tests: keeps connections alive, records
 * each request line and its headers, counts the connections it accepted, and answers each request with
 * {@code 200 {"Streams":[]}} (a ListStreams answer): at once, or, while it {@linkplain #hold() holds}, once it is
 * {@linkplain #release() released}.
 */
final class RawHttpServer implements AutoCloseable {

    private final ServerSocket socket;
    private volatile CountDownLatch released = new CountDownLatch(0);
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    RawHttpServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("raw-http-accept").start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket connection = socket.accept();
                    open.add(connection);
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(connection));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    int port() {
        return socket.getLocalPort();
    }

    /** Connections accepted so far. */
    int connections() {
        return connections.get();
    }

    /** Request lines received so far ({@code POST / HTTP/1.1}, or the absolute form a proxy gets). */
    List<String> requestLines() {
        return requestLines;
    }

    /** The headers of each request received so far, names case-insensitive. */
    List<Map<String, String>> headers() {
        return headers;
    }

    /** From now on, reads requests but answers none of them until {@link #release}. */
    void hold() {
        released = new CountDownLatch(1);
    }

    /** Answers every held request, and all later ones at once. */
    void release() {
        released.countDown();
    }

    private void serve(Socket connection) {
        try (connection; InputStream in = new BufferedInputStream(connection.getInputStream());
                OutputStream out = connection.getOutputStream()) {
            while (true) {
                String line = readLine(in);
                if (line == null) {
                    return;
                }
                Map<String, String> request = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (String header = readLine(in); header != null && !header.isEmpty(); header = readLine(in)) {
                    int colon = header.indexOf(':');
                    request.put(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
                }
                in.readNBytes(Integer.parseInt(request.getOrDefault("Content-Length", "0")));
                requestLines.add(line);
                headers.add(request);
                released.await();
                String body = "{\"Streams\":[]}";
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | RuntimeException ended) {
            // the client went away, or the server was closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b == -1) {
                return null;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        release();
        socket.close();
        for (Socket connection : open) {
            connection.close();
        }
    }
}
