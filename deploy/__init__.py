"""Running the app as a cluster on one machine: nginx in front of several replicas (`python -m deploy.cluster`)."""
