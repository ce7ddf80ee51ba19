#!/usr/bin/env python3
"""Parse and validate gongkai's deployment YAML, and print what of gongkai it names, as JSON, for
tests/suite/deploy.rs to check against gongkai's own help:

usage: deploy_check.py DEPLOY_DIR

- deploy/compose.yaml against the Compose specification's JSON schema (the copy check-jsonschema
  ships), deploy/k8s/*.yaml against Kubernetes' schemas (kubernetes-validate, strict: unknown
  fields are errors). Offline: both packages carry their schemas.
- Prints {"problems": [...], "commands": [[arg, ...], ...], "variables": [...], "pipelines":
  {file: text}, "cronjobs": [{"schedule", "timeZone", "args"}]}: the argument lists gongkai is
  started with (after the image's ENTRYPOINT, `gongkai`), the GONGKAI_* variables set for it, the
  pipeline files of the ConfigMaps and the CronJobs' schedules.
"""
import glob
import json
import os
import sys

import subprocess

import check_jsonschema  # noqa: F401 - imported so that a missing package fails here, by name
import kubernetes_validate
import yaml

# The oldest Kubernetes the manifests are meant for (CronJob timeZone is GA since 1.27); fields
# added later would be errors here.
K8S_VERSION = "1.30.0"


def is_gongkai_image(image):
    return isinstance(image, str) and (image == "gongkai" or image.startswith("gongkai:"))


def argv(command, args):
    """gongkai's arguments from a container's command/args, the image's ENTRYPOINT being gongkai."""
    if command:
        if os.path.basename(command[0]) != "gongkai":
            return None
        return list(command[1:]) + list(args or [])
    return list(args or [])


def variables(env):
    return [name for name in env if name.startswith("GONGKAI_")]


def compose(path, out):
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", path],
                         capture_output=True, text=True)
    if run.returncode != 0:
        out["problems"].append(f"{path}: not a valid Compose file: {run.stdout.strip()} {run.stderr.strip()}")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for name, service in doc.get("services", {}).items():
        built_here = (service.get("build") or {}).get("dockerfile") == "deploy/Dockerfile"
        if not (built_here or is_gongkai_image(service.get("image"))):
            continue
        command = service.get("command")
        if isinstance(command, str):
            out["problems"].append(f"{path}: {name}: give command as a list, not a shell string")
            continue
        if service.get("entrypoint") is not None:
            out["problems"].append(f"{path}: {name}: keeps the image's entrypoint (gongkai)")
        out["commands"].append(command or ["schedule"])
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        out["variables"].extend(variables(env))


def containers(doc):
    spec = doc.get("spec") or {}
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = ((spec.get("template") or {}).get("spec")) or {}
    return pod.get("containers", []) + pod.get("initContainers", [])


def k8s(path, out):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        where = f"{path}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            out["problems"].append(f"{where}: {e.message} at {'/'.join(map(str, e.path))}")
        except Exception as e:  # noqa: BLE001
            out["problems"].append(f"{where}: {e}")
        if doc["kind"] == "ConfigMap":
            for name, text in (doc.get("data") or {}).items():
                if name.endswith(".toml"):
                    out["pipelines"][name] = text
        for c in containers(doc):
            if not is_gongkai_image(c.get("image")):
                continue
            args = argv(c.get("command"), c.get("args"))
            if args is None:
                out["problems"].append(f"{where}: {c['name']}: command is not gongkai")
                continue
            out["commands"].append(args)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                command = ((c.get(probe) or {}).get("exec") or {}).get("command")
                if command:
                    probe_args = argv(command, [])
                    if probe_args is None:
                        out["problems"].append(f"{where}: {probe} is not gongkai")
                    else:
                        out["commands"].append(probe_args)
            out["variables"].extend(variables({e["name"]: e.get("value") for e in c.get("env", [])}))
        if doc["kind"] == "CronJob":
            spec = doc["spec"]
            job = containers(doc)[0]
            out["cronjobs"].append({"schedule": spec["schedule"], "timeZone": spec.get("timeZone"),
                                    "concurrencyPolicy": spec.get("concurrencyPolicy"),
                                    "args": argv(job.get("command"), job.get("args"))})


def main(deploy):
    out = {"problems": [], "commands": [], "variables": [], "pipelines": {}, "cronjobs": []}
    compose(os.path.join(deploy, "compose.yaml"), out)
    manifests = sorted(glob.glob(os.path.join(deploy, "k8s", "*.yaml")))
    if not manifests:
        out["problems"].append(f"{deploy}/k8s: no manifests")
    for path in manifests:
        k8s(path, out)
    out["variables"] = sorted(set(out["variables"]))
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
