"""The survey as an offline static site: the page generator (`site`) and the file of queued answers it exports (`records`)."""
