"""Apache Jena ARQ (Debian's libapache-jena-java) as a second SPARQL engine for the tests.

As packaged (4.5), every Jena command dies at start-up in ``XSSimpleTypeDecl.applyFacets1``:
Debian moved the shaded Xerces classes to ``xerces.*`` but left their message bundles under
``org/apache/jena/ext/xerces/…``.  ``classpath()`` copies those ``.properties`` files to
``xerces/impl/msg/`` and ``xerces/impl/xpath/regex/`` in a folder put first on the classpath.

One JVM answers a whole batch (start-up is seconds): ``run_batch(data, queries)`` compiles a
small Java driver once, loads the quads once (the default graph is the union of the named graphs,
as in pmkg's store; the named graphs stay queryable), parses each query with ARQ's strict
SPARQL 1.1 parser (the parser of ``arq.qparse``) and writes its results as SPARQL JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
MARKER = JAVA_DIR / "jena-arq.jar"  # .ci/run installs libapache-jena-java when this is missing
JARS = [
    "jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-dboe-base", "jena-dboe-index",
    "jena-dboe-storage", "jena-dboe-trans-data", "jena-dboe-transaction", "jena-iri", "jena-rdfconnection",
    "jena-shacl", "jena-tdb", "jena-tdb2", "commons-cli", "commons-codec", "commons-compress", "commons-csv",
    "commons-io", "commons-lang3", "dexx.collection", "gson", "jackson-annotations", "jackson-core",
    "jackson-databind", "jakarta.json-api", "jsonld-java", "titanium-json-ld", "httpclient", "httpcore",
    "slf4j-api", "slf4j-nop", "thrift", "protobuf", "guava",
]
BUNDLES = {"org/apache/jena/ext/xerces/impl/msg/": "xerces/impl/msg/",
           "org/apache/jena/ext/xerces/impl/xpath/regex/": "xerces/impl/xpath/regex/"}

DRIVER = r"""
import java.io.*;
import java.lang.management.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.jena.query.*;
import org.apache.jena.rdf.model.*;
import org.apache.jena.riot.RDFDataMgr;

public class PmkgBatch {
    // args: data.nq, a folder of NNN.rq files; writes NNN.srj (results) or NNN.err (the error)
    public static void main(String[] args) throws Exception {
        Dataset loaded = RDFDataMgr.loadDataset(args[0]);
        Dataset ds = DatasetFactory.create(loaded.getUnionModel());
        Iterator<String> names = loaded.listNames();
        while (names.hasNext()) { String n = names.next(); ds.addNamedModel(n, loaded.getNamedModel(n)); }
        File[] files = new File(args[1]).listFiles((d, n) -> n.endsWith(".rq"));
        Arrays.sort(files);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();  // the query's CPU time, not the machine's load
        for (File f : files) {
            String base = f.getPath().substring(0, f.getPath().length() - 3);
            String text = new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
            long start = System.nanoTime(), startCpu = cpu.getCurrentThreadCpuTime();
            try {
                Query q = QueryFactory.create(text, Syntax.syntaxSPARQL_11);
                if (args.length > 2) { write(base + ".srj", "{}"); continue; }  // parse only
                try (QueryExecution qe = QueryExecutionFactory.create(q, ds);
                     OutputStream out = new FileOutputStream(base + ".srj")) {
                    ResultSetFormatter.outputAsJSON(out, qe.execSelect());
                }
                write(base + ".ms", String.valueOf((System.nanoTime() - start) / 1e6));
                write(base + ".cpu", String.valueOf((cpu.getCurrentThreadCpuTime() - startCpu) / 1e6));
            } catch (Exception e) {
                write(base + ".err", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }
    static void write(String path, String text) throws IOException {
        Files.write(Paths.get(path), text.getBytes(StandardCharsets.UTF_8));
    }
}
"""


def available() -> bool:
    return MARKER.is_file() and shutil.which("java") is not None and shutil.which("javac") is not None


def classpath(cache: Path) -> str:
    """The Jena classpath, led by a folder with the message bundles where Debian's Xerces looks."""
    fix = cache / "xerces-bundles"
    if not fix.is_dir():
        with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
            for name in jar.namelist():
                for source, target in BUNDLES.items():
                    if name.startswith(source) and name.endswith(".properties") and "/" not in name[len(source):]:
                        dest = fix / target / name[len(source):]
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_bytes(jar.read(name))
    jars = [str(JAVA_DIR / f"{j}.jar") for j in JARS if (JAVA_DIR / f"{j}.jar").is_file()]
    return ":".join([str(fix), str(cache / "classes"), *jars])


def compile_driver(cache: Path) -> str:
    cp = classpath(cache)
    classes = cache / "classes"
    if not (classes / "PmkgBatch.class").is_file():
        classes.mkdir(parents=True, exist_ok=True)
        src = cache / "PmkgBatch.java"
        src.write_text(DRIVER, encoding="utf-8")
        subprocess.run(["javac", "-nowarn", "-cp", cp, "-d", str(classes), str(src)], check=True,
                       capture_output=True, timeout=300)
    return cp


def run_batch(cache: Path, data: Path, queries: list[str], *, parse_only: bool = False) -> list[dict | str]:
    """Each query's SPARQL JSON results (a dict with ``ms``, its wall time in Jena, and ``cpu_ms``, the CPU
    time of the thread that ran it) or its error message."""
    cp = compile_driver(cache)
    work = cache / ("parse" if parse_only else "run")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for i, text in enumerate(queries):
        (work / f"{i:04d}.rq").write_text(text, encoding="utf-8")
    args = ["java", "-Xmx2g", "-cp", cp, "PmkgBatch", str(data), str(work)] + (["parse"] if parse_only else [])
    subprocess.run(args, check=True, capture_output=True, timeout=1800)
    out: list[dict | str] = []
    for i in range(len(queries)):
        err = work / f"{i:04d}.err"
        if err.is_file():
            out.append(err.read_text(encoding="utf-8"))
            continue
        result = json.loads((work / f"{i:04d}.srj").read_text(encoding="utf-8"))
        ms = work / f"{i:04d}.ms"
        result["ms"] = float(ms.read_text()) if ms.is_file() else None
        cpu = work / f"{i:04d}.cpu"
        result["cpu_ms"] = float(cpu.read_text()) if cpu.is_file() else None
        out.append(result)
    return out
