// The local Iceberg REST catalog server for Ferry's tests (infra/iceberg-rest.sh): Apache Iceberg's reference
// REST adapter (RESTCatalogAdapter + RESTCatalogServlet from iceberg-core's test jar) over a JdbcCatalog kept in a
// SQLite file, with a warehouse in a local folder. What this launcher adds:
//   - it listens on 127.0.0.1 only (the stock fixture binds every interface);
//   - authentication, so that clients' auth paths are tested against a server that refuses: every request needs
//     "Authorization: Bearer <token>", the token being the static one (-Dferry.rest.token) or one issued by
//     POST /v1/oauth/tokens for the client-credentials pair (-Dferry.rest.credential=id:secret).
// System properties: ferry.rest.port, ferry.rest.warehouse (a file:// URI), ferry.rest.db (the SQLite file),
// ferry.rest.token, ferry.rest.credential. Compiled by infra/iceberg-rest.sh with the class path of pom.xml.

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

public final class FerryIcebergRestServer {
  private FerryIcebergRestServer() {}

  /** Checks the bearer token (or issues one), then hands the request to Iceberg's servlet. */
  static final class AuthServlet extends HttpServlet {
    private final RESTCatalogServlet catalog;
    private final String staticToken;
    private final String clientId;
    private final String clientSecret;
    private final Set<String> issued = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();

    AuthServlet(RESTCatalogServlet catalog, String staticToken, String credential) {
      this.catalog = catalog;
      this.staticToken = staticToken == null || staticToken.isEmpty() ? null : staticToken;
      int colon = credential == null ? -1 : credential.indexOf(':');
      this.clientId = colon > 0 ? credential.substring(0, colon) : null;
      this.clientSecret = colon > 0 ? credential.substring(colon + 1) : null;
    }

    @Override
    public void init() throws ServletException {
      catalog.init(getServletConfig());
    }

    private static void json(HttpServletResponse resp, int status, String body) throws IOException {
      resp.setStatus(status);
      resp.setContentType("application/json");
      resp.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> form(String body) {
      Map<String, String> out = new HashMap<>();
      for (String pair : body.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      return out;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
      String path = req.getRequestURI();
      if (path.endsWith("/v1/oauth/tokens")) {
        Map<String, String> f = form(new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        boolean ok = clientId != null && "client_credentials".equals(f.get("grant_type"))
            && clientId.equals(f.get("client_id")) && clientSecret.equals(f.get("client_secret"));
        if (!ok) {
          json(resp, 401, "{\"error\":\"invalid_client\",\"error_description\":\"unknown client or wrong secret\"}");
          return;
        }
        byte[] b = new byte[24];
        random.nextBytes(b);
        String token = HexFormat.of().formatHex(b);
        issued.add(token);
        json(resp, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"bearer\",\"expires_in\":3600,"
            + "\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\"}");
        return;
      }
      if (staticToken != null || clientId != null) {
        String h = req.getHeader("Authorization");
        String token = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
        if (token == null || !(token.equals(staticToken) || issued.contains(token))) {
          json(resp, 401, "{\"error\":{\"message\":\"" + (token == null ? "missing bearer token" : "invalid bearer token")
              + "\",\"type\":\"NotAuthorizedException\",\"code\":401}}");
          return;
        }
      }
      catalog.service(req, resp);
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(System.getProperty("ferry.rest.port", "8181"));
    String warehouse = System.getProperty("ferry.rest.warehouse");
    String db = System.getProperty("ferry.rest.db");
    if (warehouse == null || db == null) {
      throw new IllegalArgumentException("set -Dferry.rest.warehouse=file:///... and -Dferry.rest.db=/path/catalog.db");
    }
    Map<String, String> props = new HashMap<>();
    props.put(CatalogUtil.ICEBERG_CATALOG_TYPE, "jdbc");
    props.put("uri", "jdbc:sqlite:" + db);
    props.put("jdbc.schema-version", "V1");
    // one SQLite connection: with the default pool of 2, concurrent commits failed with SQLITE_BUSY (HTTP 500)
    props.put("clients", "1");
    props.put("warehouse", warehouse);
    Catalog backend = CatalogUtil.buildIcebergCatalog("ferry_rest", props, new Configuration());
    RESTCatalogAdapter adapter = new RESTCatalogAdapter(backend);

    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(new ServletHolder(new AuthServlet(new RESTCatalogServlet(adapter),
        System.getProperty("ferry.rest.token"), System.getProperty("ferry.rest.credential"))), "/*");
    Server server = new Server(new InetSocketAddress("127.0.0.1", port));
    server.setHandler(context);
    server.start();
    System.out.println("ferry iceberg rest catalog listening on http://127.0.0.1:" + port + " warehouse " + warehouse);
    server.join();
  }
}
