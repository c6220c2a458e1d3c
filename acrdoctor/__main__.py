from acrdoctor.cli import main

main()
