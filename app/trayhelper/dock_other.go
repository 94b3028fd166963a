//go:build !darwin

package main

func hideFromDock() {}
