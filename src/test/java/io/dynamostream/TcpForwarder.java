package io.dynamostream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder on 127.0.0.1 to another loopback port, counting the connections it accepted: stands between the
 * service and the local server where a test needs to count connections or to bring an endpoint up late. Closing it
 * closes every connection it forwards.
 */
public final class TcpForwarder implements AutoCloseable {

    private final ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    /** Listens on {@code port} (0: any free port) and forwards to {@code target}. */
    public TcpForwarder(int port, int target) throws IOException {
        server = new ServerSocket(port, 500, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("tcp-forwarder-" + server.getLocalPort()).start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    accepted.incrementAndGet();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(in);
                    open.add(out);
                    pipe(in, out);
                    pipe(out, in);
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The connections accepted so far (the counter itself, for injection into a test). */
    public AtomicInteger accepted() {
        return accepted;
    }

    private static void pipe(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException ended) {
                // one side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        });
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
